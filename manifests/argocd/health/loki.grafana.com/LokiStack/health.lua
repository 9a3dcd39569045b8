-- Argo CD health of a LokiStack (loki.grafana.com/v1), from the conditions
-- the Loki Operator writes: Failed and Degraded are errors, Ready means every
-- component runs, Pending means components are starting.
local hs = {}
local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind and c.status == "True" then
      return c
    end
  end
  return nil
end

local failed = condition("Failed") or condition("Degraded")
if failed ~= nil then
  hs.status = "Degraded"
  hs.message = (failed.reason or failed.type) .. ": " .. (failed.message or "")
  return hs
end
local ready = condition("Ready")
if ready ~= nil then
  hs.status = "Healthy"
  hs.message = ready.message or "All components ready"
  return hs
end
local pending = condition("Pending")
if pending ~= nil then
  hs.status = "Progressing"
  hs.message = pending.message or "Some LokiStack components pending on dependencies"
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for the Loki Operator to report status"
return hs
