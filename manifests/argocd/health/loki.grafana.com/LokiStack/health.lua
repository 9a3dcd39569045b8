-- Argo CD health of a LokiStack (loki.grafana.com/v1), from the conditions
-- the Loki Operator writes (grafana/loki operator/internal/status): one main
-- condition is True at a time (Failed, Degraded, Pending or Ready) and the
-- ones it replaced stay behind with status False. Warning conditions sit
-- beside the main one; they flag configurations that do not stop the stack,
-- so they leave the health alone. Without a True main condition the health
-- cannot be told, which is never Healthy.
--
-- Base functions only (no string, table or os library): OpenShift GitOps
-- runs spec.resourceHealthChecks without useOpenLibs.
local hs = {}

local function active(kind)
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

local function given(text)
  return text ~= nil and text ~= ""
end

local failed = active("Failed") or active("Degraded")
if failed ~= nil then
  hs.status = "Degraded"
  hs.message = given(failed.reason) and failed.reason or failed.type
  if given(failed.message) then
    hs.message = hs.message .. ": " .. failed.message
  end
  return hs
end
local ready = active("Ready")
if ready ~= nil then
  hs.status = "Healthy"
  hs.message = given(ready.message) and ready.message or "All components ready"
  return hs
end
local pending = active("Pending")
if pending ~= nil then
  hs.status = "Progressing"
  hs.message = given(pending.message) and pending.message
    or "One or more LokiStack components pending on dependencies"
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for the Loki Operator to report status"
return hs
