-- Argo CD health of a ClusterLogForwarder (observability.openshift.io/v1),
-- from the conditions the Cluster Logging Operator 6 writes: a False
-- observability.openshift.io/Authorized or .../Valid* condition (the spec,
-- an input, output, pipeline or filter is invalid) is an error; Ready=True
-- means the collector is deployed.
local hs = {}
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Cluster Logging Operator to report status"
  return hs
end
local ready = nil
for _, c in ipairs(obj.status.conditions) do
  local checked = c.type == "observability.openshift.io/Authorized"
    or string.sub(c.type, 1, string.len("observability.openshift.io/Valid")) == "observability.openshift.io/Valid"
  if checked and c.status == "False" then
    hs.status = "Degraded"
    hs.message = (c.reason or c.type) .. ": " .. (c.message or "")
    return hs
  end
  if c.type == "Ready" then
    ready = c
  end
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or ""
  return hs
end
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = (ready.reason or "NotReady") .. ": " .. (ready.message or "")
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for the collector to become ready"
return hs
