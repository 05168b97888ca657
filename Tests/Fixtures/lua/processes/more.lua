-- The remaining calls of the process, channel and time APIs, each used once.

local function run()
  local time = require("time")
  local out = {}

  -- listen: a topic gets its own channel (raw payloads, or messages with {message = true}).
  local notes = process.listen("note")
  local full = process.listen("full", { message = true })
  process.send(process.pid(), "note", { n = 1 })
  process.send(process.pid(), "full", "m")
  process.send(process.pid(), "other", "to the inbox")
  out.listen_raw = notes:receive().n
  local m = full:receive()
  out.listen_message = m:topic() .. ":" .. m:payload():data()
  out.inbox_rest = process.inbox():receive():payload():data()
  process.unlisten(notes)

  -- monitor / link on a running process, then cancel it: a clean return, so EXIT but no LINK_DOWN.
  process.set_options({ trap_links = true })
  local events = process.events()
  local child = process.spawn("test:cancellable", "system:processes")
  assert(process.monitor(child))
  assert(process.link(child))
  assert(process.cancel(child, "please stop"))
  local ev = events:receive()
  out.monitor_kind = ev.kind
  out.monitor_result = ev.result.value

  -- monitor of a dead process: an error value.
  local ok, err = process.monitor(child)
  out.monitor_dead = ok == nil and type(err) == "string"

  -- case_send on a buffered channel.
  local ch = channel.new(1)
  local r = channel.select({ ch:case_send("sent") })
  out.case_send = r.channel == ch and ch:receive()

  -- time.timer, time.ticker, time.unix
  local timer = time.timer("10ms")
  out.timer_fired = getmetatable(timer:channel():receive()) ~= nil
  local ticker = time.ticker("5ms")
  ticker:channel():receive()
  ticker:channel():receive()
  ticker:stop()
  out.ticks = 2
  out.unix = time.unix(1700000000):unix()
  return out
end

local function cancellable()
  local events = process.events()
  while true do
    local ev = events:receive()
    if ev.kind == process.event.CANCEL then return "cancelled: " .. ev.reason end
  end
end

return { run = run, cancellable = cancellable }
