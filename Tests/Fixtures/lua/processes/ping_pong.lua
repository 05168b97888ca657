-- ping-pong: run() spawns pong and exchanges `rounds` messages with it.
local function run(rounds)
  rounds = tonumber(rounds) or 100
  local child, err = process.spawn("test:pong", "system:processes", process.pid())
  if not child then error(err) end
  local inbox = process.inbox()
  local received = 0
  for i = 1, rounds do
    assert(process.send(child, "ping", i))
    local msg = inbox:receive()
    assert(msg:topic() == "pong", "unexpected topic " .. tostring(msg:topic()))
    assert(msg:payload():data() == i, "out of order")
    assert(msg:from() == child)
    received = received + 1
  end
  process.send(child, "stop")
  return { received = received, child = child }
end

local function pong(parent)
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    if msg:topic() == "stop" then return "stopped" end
    process.send(msg:from(), "pong", msg:payload():data())
  end
end

return { run = run, pong = pong }
