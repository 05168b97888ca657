-- Answers pings with what it got and its PID; spawns workers for others to monitor and link.
local function serve()
  -- On a node where another echo holds the name, this one still answers by PID.
  process.registry.register("echo", nil, process.registry.STRONG)
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select({ inbox:case_receive(), events:case_receive() })
    if r.channel == events then
      if r.value.kind == process.event.CANCEL then return end
    else
      local m = r.value
      if m:topic() == "ping" then
        process.send(m:from(), "pong", { data = m:payload():data(), by = process.pid() })
      elseif m:topic() == "spawn_worker" then
        process.send(m:from(), "worker", process.spawn("cluster:worker", "cluster:workers"))
      end
    end
  end
end

-- Waits for "fail" (raises) or "stop" (returns).
local function worker()
  local inbox = process.inbox()
  while true do
    local m = inbox:receive()
    if m:topic() == "fail" then error("asked to fail") end
    if m:topic() == "stop" then return "stopped" end
  end
end

return { serve = serve, worker = worker }
