-- The event bus: subscriptions by system pattern and kind, send, close.
local events = require("events")

local function run()
  local sub = assert(events.subscribe("app.(users|orders).**", "created"))
  local all = assert(events.subscribe("**"))
  assert(events.send("app.users", "created", "/u/1", { id = 1 }))
  assert(events.send("app.users", "deleted", "/u/1"))           -- another kind
  assert(events.send("billing", "created", "/x"))                -- another system
  assert(events.send("app.orders.eu", "created", "/o/9", { total = 5 }))
  local got, data = {}, {}
  for _ = 1, 2 do
    local e = sub:channel():receive()
    got[#got + 1] = e.system .. " " .. e.kind .. " " .. e.path
    data[#data + 1] = e.data
  end
  for _ = 1, 4 do all:channel():receive() end
  sub:close()
  events.send("app.users", "created", "/u/2")
  local after = all:channel():receive()
  local bad, bad_err = events.subscribe("a..b")
  local no_kind, kind_err = events.send("app.users")
  return { got = got, data = data, after = after.path, bad = bad == nil, bad_err = bad_err,
           no_kind = no_kind == nil, kind_err = kind_err }
end

return { run = run }
