-- Scenarios that try to break the isolation of processes sharing one Lua state (host test:one).

local function err(fn, ...)
  local ok, message = pcall(fn, ...)
  return ok and "allowed" or tostring(message)
end

-- Globals -------------------------------------------------------------------------------------
-- Each peer reports what it sees of the globals the others set, then sets its own.
local function global_peer(parent, n)
  local seen = { secret = tostring(secret), via_G = tostring(_G.secret), raw = tostring(rawget(_G, "secret")),
                 print_is_shared = type(print) }
  secret = "peer" .. n
  _G.extra = n
  process.send(parent, "seen", seen)
  process.inbox():receive()  -- stays alive while the others run beside it
  process.send(parent, "after", { secret = secret, extra = _G.extra })
end

local function globals()
  secret = "parent"
  local peers = {}
  for n = 1, 3 do peers[n] = process.spawn("test:global_peer", "test:one", process.pid(), n) end
  local inbox = process.inbox()
  local seen, after = {}, {}
  for _ = 1, 3 do seen[#seen + 1] = inbox:receive():payload():data() end
  for n = 1, 3 do process.send(peers[n], "go") end
  for _ = 1, 3 do after[#after + 1] = inbox:receive():payload():data() end
  return { seen = seen, after = after, mine = secret }
end

-- Shared tables ---------------------------------------------------------------------------------
-- The tamperer tries every way to change what the processes of its state share; the observer,
-- started after it on the same thread, reports what it finds.
local function tamperer(parent)
  local json, time = require("json"), require("time")
  local count = 0
  for _ in pairs(string) do count = count + 1 end
  local r = {
    string_field = err(function() string.x = 1 end),
    string_method = err(function() string.upper = function() return "evil" end end),
    rawset_string = err(rawset, string, "upper", function() return "evil" end),
    insert_math = err(table.insert, math, 1),
    string_metatable = tostring(getmetatable("")),
    metatable_of_string_lib = tostring(getmetatable(string)),
    setmetatable_string = err(setmetatable, string, {}),
    process_send = err(function() process.send = nil end),
    process_event = err(function() process.event.EXIT = "x" end),
    channel_new = err(function() channel.new = nil end),
    json_encode = err(function() json.encode = nil end),
    time_now = err(function() time.now = nil end),
    gc_stop = err(collectgarbage, "stop"),
    gc_generational = err(collectgarbage, "generational"),
    gc_count = type(collectgarbage("count")),
    string_functions = count,
  }
  -- What a process may do: its own globals, shadowing a library.
  string = { upper = function() return "mine" end }
  r.own_string = string.upper("a")
  r.method_unchanged = ("a"):upper()
  process.send(parent, "tampered", r)
end

local function observer(parent)
  local json, time = require("json"), require("time")
  process.send(parent, "observed", {
    method = ("a"):upper(), library = string.upper("b"), field = tostring(string.x),
    encode = type(json.encode), now = type(time.now), send = type(process.send),
    exit = process.event.EXIT, new = type(channel.new), math = #math == 0 and math.floor(2.5) or "changed",
  })
end

local function shared_tables()
  local inbox = process.inbox()
  process.spawn("test:tamperer", "test:one", process.pid())
  local tampered = inbox:receive():payload():data()
  process.spawn("test:observer", "test:one", process.pid())
  local observed = inbox:receive():payload():data()
  return { tampered = tampered, observed = observed }
end

-- Memory ----------------------------------------------------------------------------------------
-- A healthy process holds 2 MiB and allocates 256 KiB more for each ping (within its 8 MiB)
-- while a bomb beside it on the same state allocates until its own limit kills it.
local function healthy(parent)
  local inbox = process.inbox()
  local ballast = string.rep("h", 2 << 20)
  while true do
    local m = inbox:receive()
    if m:topic() == "stop" then return #ballast end
    local garbage = string.rep("p", 256 << 10) .. m:payload():data()
    process.send(parent, "pong", { n = m:payload():data(), kb = collectgarbage("count") })
  end
end

local function bomb()
  local t = {}
  for i = 1, 1e9 do t[i] = string.rep("y", 1000) .. i end
end

local function memory_neighbours()
  local me = process.pid()
  local neighbour = process.spawn("test:healthy", "test:one", me)
  process.monitor(neighbour)
  process.spawn_monitored("test:bomb", "test:one")
  local inbox, events = process.inbox(), process.events()
  local pongs, after_death, bomb_error, neighbour_exit, max_kb = 0, 0, nil, nil, 0
  local n = 0
  while after_death < 20 and neighbour_exit == nil do
    n = n + 1
    process.send(neighbour, "ping", n)
    local waiting = true
    while waiting do
      local r = channel.select({ inbox:case_receive(), events:case_receive() })
      if r.channel == inbox then
        local data = r.value:payload():data()
        if data.n == n then
          pongs = pongs + 1
          if data.kb > max_kb then max_kb = data.kb end
          if bomb_error then after_death = after_death + 1 end
          waiting = false
        end
      elseif r.value.from == neighbour then
        neighbour_exit = r.value.result and r.value.result.error or "returned"
        waiting = false
      else
        bomb_error = r.value.result and r.value.result.error
      end
    end
  end
  process.send(neighbour, "stop")
  return { pongs = pongs, after_death = after_death, bomb_error = bomb_error, neighbour_exit = neighbour_exit,
           neighbour_max_kb = max_kb }
end

-- Neighbours ------------------------------------------------------------------------------------
-- `count` echo processes on the same thread as a busy loop, a crashing process and an allocation
-- bomb; every neighbour is pinged in turn, round after round, while the offenders run and die.
-- Returns how many answered and the p99 of the ping → answer time.
local function echo()
  local inbox = process.inbox()
  while true do
    local m = inbox:receive()
    if m:topic() == "stop" then return end
    process.send(m:from(), "echo", m:payload():data())
  end
end

local function spinner()
  local n = 0
  while true do n = n + 1 end
end

local function crasher()
  local t = nil
  return t.field  -- an error: ends only this process
end

local function neighbours(count, rounds)
  local time = require("time")
  local me = process.pid()
  local pids = {}
  for i = 1, count do pids[i] = process.spawn("test:echo", "test:one") end
  local spinner_pid = process.spawn("test:spinner", "test:one")
  process.spawn_monitored("test:crasher", "test:one")
  process.spawn_monitored("test:bomb", "test:one")
  local inbox, events = process.inbox(), process.events()
  local latencies, answered = {}, 0
  for round = 0, rounds do  -- round 0 warms up (every neighbour has started), unmeasured
    for i = 1, count do
      local sent = time.now()
      process.send(pids[i], "ping", i)
      assert(inbox:receive():payload():data() == i)
      if round > 0 then
        latencies[#latencies + 1] = time.now():sub(sent):nanoseconds()
        answered = answered + 1
      end
    end
  end
  local exits = {}
  for _ = 1, 2 do
    local e = events:receive()
    exits[#exits + 1] = e.result and e.result.error or "returned"
  end
  assert(process.terminate(spinner_pid))
  for i = 1, count do process.send(pids[i], "stop") end
  table.sort(latencies)
  return { answered = answered, exits = exits, p99_ms = latencies[math.ceil(#latencies * 0.99)] / 1e6 }
end

return {
  globals = globals, global_peer = global_peer, shared_tables = shared_tables, tamperer = tamperer,
  observer = observer, memory_neighbours = memory_neighbours, healthy = healthy, bomb = bomb,
  neighbours = neighbours, echo = echo, spinner = spinner, crasher = crasher,
}
