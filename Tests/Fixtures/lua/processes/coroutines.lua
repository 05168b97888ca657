-- coroutine.spawn: a pool of coroutines sharing a job channel, an unbuffered hand-over, sleeps
-- in coroutines next to the main one's inbox, and what goes wrong (deadlock, a failing coroutine).
local time = require("time")

type Job = {id: integer, input: integer}

local function pool(): {[string]: any}
  local jobs, results = channel.new(10), channel.new(10)
  for w = 1, 3 do
    coroutine.spawn(function()
      while true do
        local job: Job?, ok = jobs:receive()
        if not ok then break end
        time.sleep("20ms")
        results:send({ id = job!.id, square = job!.input * job!.input, worker = w })
      end
    end)
  end
  for i = 1, 9 do jobs:send({ id = i, input = i }) end
  jobs:close()
  local sum, workers = 0, {}
  for _ = 1, 9 do
    local r = results:receive()
    sum = sum + r.square
    workers[r.worker] = true
  end
  local used = 0
  for _ in pairs(workers) do used = used + 1 end
  return { sum = sum, workers_used = used }
end

-- An unbuffered channel hands a value from one coroutine to another.
local function handover(): string
  local ch = channel.new()
  coroutine.spawn(function(a: string, b: string) ch:send(a .. b) end, "hand", "over")
  return ch:receive()
end

-- A coroutine ticks while the main one waits on its inbox for a message it sends itself.
local function ticks_while_waiting(): integer
  local ticks = 0
  coroutine.spawn(function()
    for _ = 1, 3 do
      time.sleep("10ms")
      ticks = ticks + 1
    end
    process.send(process.pid(), "done", ticks)
  end)
  local msg = process.inbox():receive()
  return msg:payload():data()
end

local function run()
  local deadlock_ok, deadlock_err = pcall(function()
    local ch = channel.new()
    coroutine.spawn(function() ch:receive() end)
    ch:receive()  -- both wait on the same empty channel: nothing can come
  end)
  local spawn_ok, spawn_err = pcall(coroutine.spawn, 42)
  return { pool = pool(), handover = handover(), ticks = ticks_while_waiting(),
           deadlock = deadlock_ok == false and tostring(deadlock_err) or "no error",
           bad_spawn = spawn_ok == false and tostring(spawn_err) or "no error" }
end

-- A spawned coroutine that fails fails the process.
local function failing()
  coroutine.spawn(function() error("task broke") end)
  time.sleep("5ms")
  return "not reached"
end

return { run = run, failing = failing }
