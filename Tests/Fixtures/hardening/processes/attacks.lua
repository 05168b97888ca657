-- Inputs that used to crash the runtime, exhaust its memory or hold a thread forever. Each
-- function returns what it saw; the tests check it and that the runtime is still there.
local time = nil

local function capture(f, ...)
  local ok, a, b = pcall(f, ...)
  if not ok then return { raised = tostring(a) } end
  return { value = a, err = b }
end

-- Durations that overflow 64-bit nanoseconds, or are not numbers at all.
local function durations()
  time = require("time")
  local function parse(v)
    local d, err = time.parse_duration(v)
    return { ns = d and d:nanoseconds(), err = err }
  end
  return {
    summed = parse("2500000h2500000h"),
    huge_number = parse(1e300),
    max_integer = parse(math.maxinteger),
    not_a_number = parse(0 / 0),
    negative = parse(-5),
    fine = parse("1h30m"),
    sleep_huge = capture(time.sleep, 1e300),
    after_huge = capture(time.after, "9999999999h"),
  }
end

-- A table that reuses one subtable: 2^22 paths through 22 tables.
local function shared_references()
  local json = require("json")
  local t = {}
  for _ = 1, 22 do t = { t, t } end
  local encoded, encode_err = json.encode(t)
  local sent, send_err = process.send(process.pid(), "self", t)
  return { encoded = encoded ~= nil, encode_err = encode_err, sent = sent, send_err = send_err }
end

-- A JSON text whose value is far larger than the process's memory.
local function json_bomb(count)
  local json = require("json")
  local text = "[" .. string.rep("1,", count or 5000000) .. "1]"
  local value, err = json.decode(text)
  return { decoded = value ~= nil, err = err, length = #text }
end

local function sleeper()
  local events = process.events()
  while true do
    local e = events:receive()
    if e.kind == process.event.CANCEL then return "cancelled" end
  end
end

-- Sends 1 MiB messages to a process that never reads, until a send is refused.
local function mailbox_flood(rounds)
  local child = process.spawn("test:sleeper", "system:processes")
  local chunk = string.rep("m", 1024 * 1024)
  local delivered, refused = 0, nil
  for i = 1, rounds or 1500 do
    local ok, err = process.send(child, "chunk", chunk .. i)
    if not ok then refused = err break end
    delivered = delivered + 1
  end
  process.terminate(child)
  return { delivered = delivered, refused = refused }
end

-- 100 references to one 1 MiB string: small here, 100 MiB once copied.
local function hundred_mib()
  local s = string.rep("x", 1024 * 1024)
  local t = {}
  for i = 1, 100 do t[i] = s end
  return t
end

local function receiver()
  local inbox = process.inbox()
  local message = inbox:receive()
  return #message:payload():data()
end

local function callee(t) return #t end

-- Arguments bigger than the callee's memory: spawn and funcs.call.
local function oversized_arguments()
  local funcs = require("funcs")
  local events = process.events()
  local spawned, spawn_err = process.spawn_monitored("test:receiver", "system:processes", hundred_mib())
  local exit = spawned and events:receive()
  local called, call_err = funcs.call("test:callee", hundred_mib())
  return {
    spawned = spawned ~= nil, spawn_err = spawn_err,
    child_failure = exit and exit.result and exit.result.error,
    called = called, call_err = call_err,
  }
end

-- A message bigger than its receiver's memory.
local function oversized_message()
  local events = process.events()
  local child = process.spawn_monitored("test:receiver", "system:processes")
  local sent, send_err = process.send(child, "big", hundred_mib())
  local exit = sent and events:receive()
  return { sent = sent == true, send_err = send_err, child_failure = exit and exit.result and exit.result.error }
end

-- Loops where no yield is possible: inside a sort comparator, a metamethod called from C, a
-- coroutine resumed from C.
local function stuck(how)
  if how == "sort" then
    local t = {}
    for i = 1, 100 do t[i] = 101 - i end
    table.sort(t, function(a, b) while true do end end)
  elseif how == "tostring" then
    tostring(setmetatable({}, { __tostring = function() while true do end end }))
  elseif how == "pcall" then
    while true do pcall(function() while true do end end) end
  elseif how == "coroutine" then
    coroutine.wrap(function() while true do end end)()
  elseif how == "close" then
    local co = coroutine.create(function()
      local guard <close> = setmetatable({}, { __close = function() while true do end end })
      coroutine.yield()
    end)
    coroutine.resume(co)
    coroutine.close(co)
  end
  return "returned"
end

local function terminate_stuck(how)
  time = require("time")
  local events = process.events()
  local child = process.spawn_monitored("test:stuck", "system:processes", how)
  time.sleep("50ms")
  process.terminate(child)
  local exit = events:receive()
  return exit.result and exit.result.error or "no error"
end

-- Coroutines that compute long enough to be preempted keep their meaning: values in and out,
-- errors with their position, status.
local function coroutines_preempted()
  local function work(n)
    local s = 0
    for i = 1, n do s = s + i % 7 end
    return s
  end
  local gen = coroutine.wrap(function(a)
    local b = coroutine.yield(a + work(3000000))
    local c = coroutine.yield(b * 2 + work(3000000))
    return c .. "!"
  end)
  local first = gen(1)
  local second = gen(10)
  local third = gen("done")
  local co = coroutine.create(function(x)
    local y = coroutine.yield(x + work(3000000))
    error("boom " .. y)
  end)
  local ok1, v1 = coroutine.resume(co, 5)
  local ok2, e2 = coroutine.resume(co, 7)
  local ok3, e3 = coroutine.resume(co)
  local wrapped_error = select(2, pcall(coroutine.wrap(function() error("inside") end)))
  return {
    first = first, second = second, third = third,
    ok1 = ok1, v1 = v1, ok2 = ok2, e2 = e2, ok3 = ok3, e3 = e3, status = coroutine.status(co),
    wrapped_error = wrapped_error,
  }
end

-- table.sort keeps its meaning on the path that can be preempted (a comparator, or objects with
-- __lt), and blocking inside a comparator is still refused.
local function sorting()
  local numbers = {}
  for i = 1, 1000 do numbers[i] = (i * 7919) % 1000 end
  table.sort(numbers, function(a, b) return a > b end)
  local descending = true
  for i = 2, #numbers do descending = descending and numbers[i - 1] >= numbers[i] end
  local V = {}
  V.__lt = function(a, b) return a.v < b.v end
  local objects = {}
  for i = 1, 50 do objects[i] = setmetatable({ v = (i * 31) % 50 }, V) end
  table.sort(objects)
  local ordered = true
  for i = 2, #objects do ordered = ordered and objects[i - 1].v <= objects[i].v end
  local plain = { "pear", "apple", "fig" }
  table.sort(plain)
  local _, raised = pcall(table.sort, { 3, 1, 2 }, function() error("comparator failed") end)
  local _, bad_argument = pcall(table.sort, { 1, 2 }, "nope")
  local _, blocked = pcall(table.sort, { 3, 1, 2 }, function(a, b) process.inbox():receive() return a < b end)
  return {
    descending = descending, ordered = ordered, plain = table.concat(plain, ","),
    raised = raised, bad_argument = bad_argument, blocked = blocked,
  }
end

-- Corner cases of the coroutine functions the runtime replaces.
local function coroutine_corners()
  local f
  f = coroutine.wrap(function() return pcall(f) end)
  local inner_ok, inner_err = f()
  local after_ok = pcall(f)
  local yield_in_sort = select(2, coroutine.resume(coroutine.create(function()
    table.sort({ 3, 1, 2 }, function(a, b) coroutine.yield() return a < b end)
  end)))
  -- A blocking call refused inside a coroutine leaves nothing behind: the preemption that follows
  -- must not turn into a wait that nobody ends.
  pcall(coroutine.wrap(function() process.inbox():receive() end))
  local n = 0
  for i = 1, 5000000 do n = n + i % 3 end
  process.send(process.pid(), "note", n)
  local got = process.inbox():receive():payload():data()
  return { inner_ok = inner_ok, inner_err = inner_err, after_ok = after_ok, yield_in_sort = yield_in_sort, got = got }
end

local function finalizers()
  local ok, err = pcall(setmetatable, {}, { __gc = function() end })
  local plain = setmetatable({}, { __index = { x = 1 } }).x
  return { ok = ok, err = err, plain = plain }
end

return {
  durations = durations, shared_references = shared_references, json_bomb = json_bomb,
  sleeper = sleeper, mailbox_flood = mailbox_flood, receiver = receiver, callee = callee,
  oversized_arguments = oversized_arguments, oversized_message = oversized_message,
  stuck = stuck, terminate_stuck = terminate_stuck, coroutines_preempted = coroutines_preempted,
  finalizers = finalizers, sorting = sorting, coroutine_corners = coroutine_corners,
}
