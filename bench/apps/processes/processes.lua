-- idle: tells the collector it is up, then waits; acknowledges every message; "stop" ends it.
local function idle(collector)
  process.send(collector, "up")
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    if msg:topic() == "stop" then return end
    process.send(collector, "ack")
  end
end

-- pinger: `rounds` send → receive round trips with a ponger; returns nanoseconds per round trip.
local function pinger(rounds)
  local time = require("time")
  local partner = process.spawn("bench:ponger", "system:processes", process.pid())
  local inbox = process.inbox()
  for i = 1, 1000 do process.send(partner, "ping", i); inbox:receive() end -- warm up
  local start = time.now()
  for i = 1, rounds do
    process.send(partner, "ping", i)
    inbox:receive()
  end
  local elapsed = time.now():sub(start):nanoseconds()
  process.send(partner, "stop")
  return elapsed / rounds
end

local function ponger(parent)
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    if msg:topic() == "stop" then return end
    process.send(parent, "pong", msg:payload():data())
  end
end

-- broadcaster: one message to every PID given.
local function broadcaster(pids)
  for i = 1, #pids do process.send(pids[i], "hello", "fan-out") end
end

return { idle = idle, pinger = pinger, ponger = ponger, broadcaster = broadcaster }
