-- registry change sets (whole or nothing, versions, kinds that cannot change), env storages and
-- their refusals, and io outside a terminal host.
local registry = require("registry")
local env = require("env")
local io = require("io")

local function registry_changes()
  local snap = registry.snapshot()
  local start = snap:version():id()
  local changes = snap:changes()
  changes:create({ id = "test:note.a", meta = { type = "note" }, data = { text = "first" } })
  changes:create({ id = "test:note.b", kind = "registry.entry", meta = { type = "note" } })
  local v1 = assert(changes:apply())
  -- A set with one bad change applies nothing.
  local bad = registry.snapshot():changes()
  bad:create({ id = "test:note.c", meta = { type = "note" } })
  bad:create({ id = "test:note.a", meta = { type = "note" } })
  local none, exists_err = bad:apply()
  local code_change = registry.snapshot():changes():delete("test:echo_args")
  local _, code_err = code_change:apply()
  local kind_change = registry.snapshot():changes():create({ id = "test:fn", kind = "function.lua" })
  local _, kind_err = kind_change:apply()
  local upd = registry.snapshot():changes()
  upd:update({ id = "test:note.a", meta = { type = "note", pinned = true }, data = { text = "second" } })
  upd:delete("test:settings")
  local v2 = assert(upd:apply())
  local notes = {}
  for _, e in ipairs(registry.find({ ["meta.type"] = "note" })) do notes[#notes + 1] = e.id end
  local old = registry.snapshot_at(v1)
  local old_a = old:get("test:note.a")
  local now_a = registry.get("test:note.a")
  local _, settings_err = registry.get("test:settings")
  local reverted = assert(registry.apply_version(start))
  local after_revert = registry.find({ ["meta.type"] = "note" })
  return {
    first = v1:id() - start, second = v2:id() - start, label = v2:string() == "v" .. v2:id(),
    none = none == nil, exists_err = exists_err, code_err = code_err, kind_err = kind_err,
    notes = notes, old_text = old_a.data.text, new_text = now_a.data.text, settings_gone = settings_err ~= nil,
    reverted = reverted:id() - start, after_revert = #after_revert,
    settings_back = registry.get("test:settings") ~= nil,
    parsed = registry.parse_id("a.b:c").ns .. "|" .. registry.parse_id("a.b:c").name,
  }
end

local function env_values()
  local r = {}
  r.default = env.get("TEST_MODE")
  r.set = env.set("TEST_MODE", "loud")
  r.after = env.get("TEST_MODE")
  r.by_id = env.get("test:mode")
  r.fixed = env.get("TEST_REGION")
  local ok, err = env.set("TEST_REGION", "us")
  r.fixed_set = ok == nil and err or "allowed"
  ok, err = env.set("TEST_LOCKED", "x")
  r.locked_set = ok == nil and err or "allowed"
  local v, missing = env.get("NOT_DECLARED")
  r.missing = v == nil and missing or "found"
  local _, empty = env.get("")
  r.empty = empty
  r.all = env.get_all()
  return r
end

local function io_elsewhere()
  local ok, err = io.print("nobody reads this")
  local args, args_err = io.args()
  return { ok = ok == nil, err = err, args = args == nil, args_err = args_err }
end

return { registry_changes = registry_changes, env_values = env_values, io_elsewhere = io_elsewhere }
