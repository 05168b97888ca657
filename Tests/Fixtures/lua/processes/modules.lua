-- The built-in modules, each used once.
local json = require("json")
local time = require("time")
local funcs = require("funcs")
local registry = require("registry")
local logger = require("logger")
local pubsub = require("pubsub")
local util = require("util")

local function run()
  local encoded = json.encode({ list = { 1, 2, 3 }, empty = {}, name = "wippy" })
  local decoded = json.decode('{"a": [1, 2.5, "x", null, true], "b": {"c": "d"}}')
  local doubled, call_err = funcs.call("test:double", 21)
  local settings = registry.get("test:settings")
  local found = registry.find({ ["meta.type"] = "setting" })
  logger:info("modules scenario", { step = "logger", entry = "not-the-tag", pid = "mine" })
  local d = time.parse_duration("1m30s")
  local msg = pubsub.message.new(process.pid(), process.pid(), "self.note", "hi")
  assert(pubsub.send(msg))
  local note = process.inbox():receive()
  return {
    encoded = encoded,
    a2 = decoded.a[2], a3 = decoded.a[3], a5 = decoded.a[5], c = decoded.b.c,
    doubled = doubled, call_err = call_err,
    color = settings.data.color, found = #found, found_id = found[1].id,
    seconds = d:seconds(),
    note = note:payload():data(), note_topic = note:topic(),
    util = util.shout("hey"),
  }
end

return { run = run }
