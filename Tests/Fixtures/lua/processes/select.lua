-- channel.select over an inbox, the events channel and a time.after timeout.
local time = require("time")

local function run()
  local inbox, events = process.inbox(), process.events()
  local order = {}

  -- 1. nothing arrives: the timeout fires.
  local timeout = time.after("30ms")
  local r = channel.select({ inbox:case_receive(), events:case_receive(), timeout:case_receive() })
  order[#order + 1] = r.channel == timeout and "timeout" or "other"

  -- 2. a message is waiting: the inbox wins over a long timeout.
  process.send(process.pid(), "note", { n = 1 })
  r = channel.select({ inbox:case_receive(), events:case_receive(), time.after("5s"):case_receive() })
  order[#order + 1] = r.channel == inbox and ("inbox:" .. r.value:topic() .. ":" .. r.value:payload():data().n) or "other"

  -- 3. default: nothing ready, returns at once.
  r = channel.select({ inbox:case_receive(), default = true })
  order[#order + 1] = r.default and "default" or "other"

  -- 4. a buffered channel of our own.
  local ch = channel.new(2)
  ch:send("a")
  ch:send("b")
  local v1 = ch:receive()
  r = channel.select({ ch:case_receive(), inbox:case_receive() })
  order[#order + 1] = v1 .. r.value
  ch:close()
  local v, ok = ch:receive()
  order[#order + 1] = tostring(v) .. ":" .. tostring(ok)

  -- 5. time.sleep suspends only this process and lasts at least as long as asked (the upper
  --    bound is loose: a busy machine may wake it late, never early).
  local before = time.now()
  time.sleep("20ms")
  local slept = time.now():sub(before):milliseconds()
  order[#order + 1] = slept >= 20 and slept < 60000 and "slept" or ("slept " .. slept)

  -- 6. a cancel from ourselves arrives on the events channel.
  process.cancel(process.pid(), "because")
  r = channel.select({ inbox:case_receive(), events:case_receive() })
  order[#order + 1] = r.channel == events and (r.value.kind .. ":" .. r.value.reason) or "other"
  assert(r.value.kind == process.event.CANCEL)
  return order
end

return { run = run }
