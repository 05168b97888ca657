-- The `registry` module: the app's entries, read now or at a kept version (a snapshot), and
-- change sets that create, update and delete registry.entry entries as one new version.
local B, helpers = ...
local type, error = type, error
local setmetatable = helpers.raw_setmetatable
local getmetatable = helpers.raw_getmetatable

local Version = { __name = "registry.version", __metatable = false }
Version.__index = Version
local function version(n) return setmetatable({ n = n }, Version) end
function Version:id() return self.n end
function Version:string() return "v" .. self.n end
Version.__tostring = Version.string
function Version:previous() if self.n > 0 then return version(self.n - 1) end end
function Version:next() return version(self.n + 1) end

local function current() local kept = B.registry_versions(); return kept[#kept] end

local Changes = { __name = "registry.changes", __metatable = false }
Changes.__index = Changes
function Changes:create(entry) self.list[#self.list + 1] = { op = "create", entry = entry } return self end
function Changes:update(entry) self.list[#self.list + 1] = { op = "update", entry = entry } return self end
function Changes:delete(id)
  if type(id) == "table" then id = id.id end
  self.list[#self.list + 1] = { op = "delete", id = id }
  return self
end
function Changes:ops()
  local copy = {}
  for i, op in ipairs(self.list) do copy[i] = op end
  return copy
end
function Changes:apply()
  local n, err = B.registry_apply(self.list)
  if not n then return nil, err end
  self.list = {}
  return version(n)
end

local Snapshot = { __name = "registry.snapshot", __metatable = false }
Snapshot.__index = Snapshot
function Snapshot:version() return version(self.v) end
function Snapshot:entries() return B.registry_find({}, self.v) end
function Snapshot:get(id) return B.registry_get(id, self.v) end
function Snapshot:find(criteria) return B.registry_find(criteria, self.v) end
function Snapshot:namespace(ns) return B.registry_find({ namespace = ns }, self.v) end
function Snapshot:changes() return setmetatable({ list = {} }, Changes) end

local function number_of(v)
  if getmetatable(v) == Version then return v.n end
  if type(v) == "number" then return v end
  if type(v) == "string" then return tonumber((v:gsub("^v", ""))) end
end

local function kept_versions()
  local list = {}
  for i, n in ipairs(B.registry_versions()) do list[i] = version(n) end
  return list
end

return {
  get = function(id) return B.registry_get(id) end,
  find = function(criteria) return B.registry_find(criteria or {}) end,
  snapshot = function() return setmetatable({ v = current() }, Snapshot) end,
  snapshot_at = function(v)
    local n = number_of(v)
    for _, kept in ipairs(B.registry_versions()) do
      if kept == n then return setmetatable({ v = n }, Snapshot) end
    end
    return nil, "NOT_FOUND: registry version " .. tostring(v) .. " is not kept"
  end,
  current_version = function() return version(current()) end,
  versions = kept_versions,
  history = kept_versions,
  apply_version = function(v)
    local n, err = B.registry_revert(number_of(v))
    if not n then return nil, err end
    return version(n)
  end,
  parse_id = function(id)
    if type(id) ~= "string" then return nil, "INVALID: registry.parse_id expects an ID" end
    local ns, name = id:match("^(.*):([^:]+)$")
    if not ns then return nil, "INVALID: \"" .. id .. "\" is not namespace:name" end
    return { ns = ns, name = name }
  end,
}
