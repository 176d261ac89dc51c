-- Argo CD health check for FeatureRollout (rollouts.featureflags.dev/v1alpha1).
-- Install it in argocd-cm under the key
--   resource.customizations.health.rollouts.featureflags.dev_FeatureRollout
-- (see the chart's README.md). Argo CD runs it with the resource as the global `obj` and reads the
-- returned table's status (Healthy, Progressing, Suspended, Degraded, Unknown) and message.
-- Written for Argo CD's Lua (5.1 dialect): no integer division, goto or bitwise operators.
local hs = {}

local function str(v)
  if type(v) == "string" then return v end
  if v == nil then return "" end
  return tostring(v)
end

-- Whole numbers print without a fraction whether the JSON decoder gave 3 or 3.0.
local function int(v)
  local n = tonumber(v)
  if n == nil then return nil end
  return math.floor(n)
end

local status = obj.status
if status == nil or next(status) == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to report status"
  return hs
end

local generation = int(obj.metadata and obj.metadata.generation)
local observed = int(status.observedGeneration) or 0
if generation ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to observe generation " .. string.format("%d", generation)
  return hs
end

local message = str(status.message)

-- kstatus: Stalled=True means the operator cannot make progress without a person.
if type(status.conditions) == "table" then
  for _, c in ipairs(status.conditions) do
    if c.type == "Stalled" and c.status == "True" then
      hs.status = "Degraded"
      local m = str(c.message)
      if m == "" then m = message end
      if m == "" then m = "stalled: " .. str(c.reason) end
      hs.message = m
      return hs
    end
  end
end

local byState = {
  Succeeded = "Healthy",
  Pending = "Progressing",
  Progressing = "Progressing",
  Holding = "Progressing",
  Paused = "Suspended",
  RolledBack = "Degraded",
  Invalid = "Degraded",
}
local state = str(status.state)
if state == "" then
  hs.status = "Progressing"
  if message == "" then message = "waiting for the operator to report a state" end
elseif byState[state] ~= nil then
  hs.status = byState[state]
  if message == "" then message = "rollout is " .. state end
else
  hs.status = "Unknown"
  if message == "" then message = "unknown state " .. state end
end
hs.message = message
return hs
