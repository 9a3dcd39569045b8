-- Argo CD health of a ClusterLogForwarder (observability.openshift.io/v1),
-- from the status the Cluster Logging Operator 6 writes
-- (openshift/cluster-logging-operator internal/controller/observability and
-- internal/validations/observability):
--   status.conditions: observability.openshift.io/Authorized (the service
--     account exists and may collect the log types), .../Valid (the summary
--     of every validation) and Ready (True once the collector is deployed;
--     False with the reason; Unknown while managementState is Unmanaged);
--   status.inputConditions, outputConditions, filterConditions and
--     pipelineConditions: one observability.openshift.io/Valid<Kind>-<name>
--     condition per input, output, filter and pipeline.
-- A False Authorized or per-item condition is Degraded, naming each failing
-- item with its reason and message; otherwise a False Valid or Ready is
-- Degraded; Ready=True is Healthy; anything else cannot be told yet and is
-- Progressing. The annotation checks (.../LogLevel, .../MaxUnavailable-
-- Annotation) do not stop the collector and leave the health alone.
--
-- Base functions only (no string, table or os library): OpenShift GitOps
-- runs spec.resourceHealthChecks without useOpenLibs. So the item's name is
-- not cut out of the condition type but found among the names in the spec.
local GROUP = "observability.openshift.io/"
local hs = {}
local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Cluster Logging Operator to report status"
  return hs
end
local spec = obj.spec or {}

local function given(text)
  return text ~= nil and text ~= ""
end

local function describe(c)
  local text = given(c.reason) and c.reason or (c.type or "")
  if given(c.message) then
    text = text .. ": " .. c.message
  end
  return text
end

local function find(list, kind)
  if list == nil then
    return nil
  end
  for _, c in ipairs(list) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

-- Names an item can have: those declared in the spec, and those pipelines
-- refer to (the reserved inputs application, infrastructure and audit are
-- only referred to).
local function names(items, refs)
  local found = {}
  for _, item in ipairs(items or {}) do
    if type(item.name) == "string" then
      found[#found + 1] = item.name
    end
  end
  if refs ~= nil then
    for _, pipeline in ipairs(spec.pipelines or {}) do
      for _, ref in ipairs(pipeline[refs] or {}) do
        if type(ref) == "string" then
          found[#found + 1] = ref
        end
      end
    end
  end
  return found
end

-- In the order the operator validates them.
local kinds = {
  { label = "input", list = "inputConditions", prefix = GROUP .. "ValidInput-", names = names(spec.inputs, "inputRefs") },
  { label = "output", list = "outputConditions", prefix = GROUP .. "ValidOutput-", names = names(spec.outputs, "outputRefs") },
  { label = "filter", list = "filterConditions", prefix = GROUP .. "ValidFilter-", names = names(spec.filters, "filterRefs") },
  { label = "pipeline", list = "pipelineConditions", prefix = GROUP .. "ValidPipeline-", names = names(spec.pipelines, nil) },
}

local problems = ""
local function add(text)
  if problems == "" then
    problems = text
  else
    problems = problems .. "; " .. text
  end
end

local authorized = find(status.conditions, GROUP .. "Authorized")
if authorized ~= nil and authorized.status == "False" then
  add(describe(authorized))
end
for _, kind in ipairs(kinds) do
  for _, c in ipairs(status[kind.list] or {}) do
    if c.status == "False" then
      local item = c.type or kind.label
      for _, name in ipairs(kind.names) do
        if c.type == kind.prefix .. name then
          item = kind.label .. " " .. name
          break
        end
      end
      add(item .. ": " .. describe(c))
    end
  end
end
local valid = find(status.conditions, GROUP .. "Valid")
if problems == "" and valid ~= nil and valid.status == "False" then
  add(describe(valid))
end
local ready = find(status.conditions, "Ready")
if problems == "" and ready ~= nil and ready.status == "False" then
  add(describe(ready))
end
if problems ~= "" then
  hs.status = "Degraded"
  hs.message = problems
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or ""
  return hs
end
hs.status = "Progressing"
if ready ~= nil then
  hs.message = describe(ready)
elseif status.conditions == nil then
  hs.message = "Waiting for the Cluster Logging Operator to report status"
else
  hs.message = "Waiting for the collector to become ready"
end
return hs
