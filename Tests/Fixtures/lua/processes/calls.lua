-- calls: function calls that never use process.* take no PID; one that sends gets a PID its
-- peer can answer.
local function run()
  local funcs = require("funcs")
  local first = funcs.call("test:whoami")
  for i = 1, 5 do assert(funcs.call("test:double", i) == 2 * i) end
  local second = funcs.call("test:whoami")
  local echo = process.spawn("test:calls_echo", "system:processes")
  local reply, err = funcs.call("test:ask", echo)
  process.send(echo, "stop")
  return { first = first, second = second, reply = reply, err = err }
end

-- echo: answers every message to its sender, until "stop".
local function echo()
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    if msg:topic() == "stop" then return end
    process.send(msg:from(), "echo", msg:payload():data())
  end
end

-- ask (a function.lua): sends to `peer` and returns its answer.
local function ask(peer)
  process.send(peer, "ask", "hello from " .. process.pid())
  return process.inbox():receive():payload():data()
end

return { run = run, echo = echo, ask = ask }
