-- "ping" → "pong" to the sender; "expect" N, then N × "count" → one "done".
local function echo()
  process.registry.register("echo", nil, process.registry.STRONG)
  local inbox, events = process.inbox(), process.events()
  local expected, counted, waiting = 0, 0, nil
  while true do
    local r = channel.select({ inbox:case_receive(), events:case_receive() })
    if r.channel == events then
      if r.value.kind == process.event.CANCEL then return end
    else
      local m = r.value
      local topic = m:topic()
      if topic == "ping" then
        process.send(m:from(), "pong", m:payload():data())
      elseif topic == "count" then
        counted = counted + 1
        if counted == expected then process.send(waiting, "done", counted) end
      elseif topic == "expect" then
        expected, counted, waiting = m:payload():data(), 0, m:from()
      end
    end
  end
end

-- Round trips one at a time, then a stream of one-way messages; prints one JSON line.
local function measure(rounds, stream)
  local time, json, io = require("time"), require("json"), require("io")
  rounds, stream = tonumber(rounds) or 2000, tonumber(stream) or 50000
  local echo
  for _ = 1, 400 do
    echo = process.registry.lookup("echo")
    if echo then break end
    time.sleep("50ms")
  end
  local inbox = process.inbox()
  for i = 1, 200 do  -- warm-up
    process.send(echo, "ping", i)
    inbox:receive()
  end
  local started = time.now()
  for i = 1, rounds do
    process.send(echo, "ping", i)
    inbox:receive()
  end
  local rtt = started and time.now():sub(started):nanoseconds() / rounds / 1000
  process.send(echo, "expect", stream)
  started = time.now()
  for i = 1, stream do assert(process.send(echo, "count", i)) end
  inbox:receive()
  local seconds = time.now():sub(started):nanoseconds() / 1e9
  io.print(json.encode({ echo = echo, rtt_us = rtt, messages_per_second = stream / seconds }))
  return 0
end

return { echo = echo, measure = measure }
