-- A busy loop must not starve others; an allocation bomb must only kill its own process.
local function busy_loop()
  local n = 0
  while true do n = n + 1 end
end

local function busy_and_ping(rounds)
  -- Start two spinning processes (more than the machine's cores), then play ping-pong.
  local spinners = {}
  for i = 1, 2 do spinners[i] = process.spawn("test:busy_loop", "system:processes") end
  local child = process.spawn("test:pong", "system:processes", process.pid())
  local inbox = process.inbox()
  for i = 1, rounds or 50 do
    process.send(child, "ping", i)
    assert(inbox:receive():payload():data() == i)
  end
  process.send(child, "stop")
  for _, pid in ipairs(spinners) do assert(process.terminate(pid)) end
  return "finished"
end

local function alloc_bomb()
  local t = {}
  local s = string.rep("x", 1024 * 1024)
  for i = 1, 1000000 do t[i] = s .. i end
  return "survived"
end

return { busy_loop = busy_loop, busy_and_ping = busy_and_ping, alloc_bomb = alloc_bomb }
