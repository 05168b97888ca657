local time = require("time")

-- worker: ticks every `period_ms` and tells the spawner; ends on CANCEL.
local function worker(spawner, period_ms)
  local ticker = time.ticker(period_ms)
  local events = process.events()
  local ticks = 0
  while true do
    local r = channel.select({ ticker:channel():case_receive(), events:case_receive() })
    if r.channel == events then
      if r.value.kind == process.event.CANCEL then return ticks end
    else
      ticks = ticks + 1
      process.send(spawner, "tick", ticks)
    end
  end
end

-- spawner: starts `count` monitored workers with periods spread over 0.5–3 s, then counts ticks.
local function spawner(count)
  count = tonumber(count) or 10000
  local me = process.pid()
  local started = time.now()
  for i = 1, count do
    local period = 500 + (i * 7919) % 2501  -- 500..3000 ms, spread without a random generator
    process.spawn_monitored("mass:worker", "system:processes", me, period)
  end
  local spawn_ms = time.now():sub(started):nanoseconds() / 1e6
  print(string.format("spawned %d workers in %.1f ms", count, spawn_ms))
  local inbox, events = process.inbox(), process.events()
  local report = time.ticker("5s")
  local ticks, since = 0, time.now()
  while true do
    local r = channel.select({ inbox:case_receive(), events:case_receive(), report:channel():case_receive() })
    if r.channel == inbox then
      ticks = ticks + 1
    elseif r.channel == events then
      if r.value.kind == process.event.CANCEL then return ticks end
    else
      local seconds = time.now():sub(since):seconds()
      -- Expected: each worker ticks 1/period times a second: ln(6)/2.5 ≈ 0.72 ticks/s on average.
      print(string.format("%.0f ticks/s from %d workers", ticks / seconds, count))
      ticks, since = 0, time.now()
    end
  end
end

return { spawner = spawner, worker = worker }
