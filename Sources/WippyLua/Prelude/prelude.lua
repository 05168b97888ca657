-- The Lua half of the runtime's built-ins, run once in every scheduler state before any process.
--
-- It receives the Swift built-ins (B) and installs the shared globals (process, channel, print,
-- require); the runtime then freezes them (read-only to Lua code). Processes and function calls
-- are started by the runtime itself: nothing of the prelude sits beneath their code.
--
-- Everything a process owns lives in its record P (inbox, listeners, loaded modules, its globals),
-- which B.proc() returns for the process running now; nothing per process is kept in an upvalue
-- here, since every process of the state shares these functions. Swift built-ins never raise or
-- yield through Swift frames; blocking happens in `block`, whose B.wait yields to the scheduler.
local B = ...
local type, error, tostring, select, pairs = type, error, tostring, select, pairs
local metatable = B.raw_getmetatable  -- sees through __metatable: the prelude's own type checks
local setmetatable = B.raw_setmetatable  -- the prelude's own objects, with metatables it made
local format = string.format
local proc = B.proc
local INBOX, EVENTS, LISTEN, TIMER = 1, 2, 3, 4

-- Coroutines of a process (coroutine.spawn) ----------------------------------------------------
-- The thread resumes a process's main coroutine only; the coroutines it spawns are resumed by the
-- process itself. When any of its coroutines would wait (`block`), the main one first runs each
-- spawned one until that one ends or would wait too, and waits for the runtime only when none of
-- them moved. A spawned coroutine that would wait yields back to that round. Scheduling is
-- cooperative: spawned coroutines run while the main one waits.
--
-- In the process's record P: `tasks`, the spawned coroutines still running, in spawn order;
-- `task`, the one resumed now; `drain`, what the runtime runs on a function call that returned
-- while some still run (they may outlive the call's answer).
local co_create, co_resume, co_yield = coroutine.create, coroutine.resume, coroutine.yield
local co_running, co_status = coroutine.running, coroutine.status
local now_ns, wait, remove = B.now_ns, B.wait, table.remove
local WAIT = {}  -- yielded by a spawned coroutine that would wait
-- Bumped by whatever may let a waiting coroutine go on: a value into or out of a channel, a
-- channel closed, a coroutine spawned or ended. One process of the state runs at a time, so a
-- round of its coroutines sees only its own.
local progress = 0

-- Resumes each spawned coroutine once. Returns whether anything moved, the earliest deadline
-- (monotonic ns) one of them waits for, and whether one waits for the runtime. A coroutine that
-- failed fails the process.
local function run_tasks(P, tasks)
  local before, deadline, external = progress, nil, false
  local i = 1
  while tasks[i] ~= nil do
    local task = tasks[i]
    P.task = task
    local ok, token, ns, waits_for_runtime = co_resume(task)
    P.task = nil
    if co_status(task) == "dead" then
      remove(tasks, i)
      progress = progress + 1
      if not ok then error(token, 0) end
    else
      if token ~= WAIT then
        progress = progress + 1  -- a plain coroutine.yield(): ready again
      elseif ns then
        local at = now_ns() + ns
        if deadline == nil or at < deadline then deadline = at end
      end
      if waits_for_runtime then external = true end
      i = i + 1
    end
  end
  return progress ~= before, deadline, external
end

-- Waits until something happens that the caller may be waiting for: from the runtime when
-- `external` (a message, an event, a timer; at most `ns` nanoseconds when given), or from another
-- coroutine of the process. The caller checks again afterwards. false when nothing can ever come
-- (no source of the runtime, and no coroutine of the process that could still move).
local function block(ns, external)
  local P = proc()
  local me = co_running()
  if me == P.task then
    co_yield(WAIT, ns, external)
    return true
  end
  local tasks = P.tasks
  if me ~= P.co or tasks == nil or tasks[1] == nil then
    if not external then return false end
    wait(ns)  -- raises in a coroutine of the coroutine library: only the process's own code waits
    return true
  end
  local moved, deadline, tasks_external = run_tasks(P, tasks)
  if moved then return true end
  if not external then ns = nil end
  if deadline then
    local left = deadline - now_ns()
    if left <= 0 then return true end
    if ns == nil or left < ns then ns = left end
  elseif not (external or tasks_external) then
    return false
  end
  wait(ns)
  return true
end

-- Run by the runtime on a function call's main coroutine after the call answered, while some of
-- its spawned coroutines still run.
local function drain()
  local tasks = proc().tasks
  while tasks[1] ~= nil do
    if not block(nil, false) then
      error("the call's coroutines wait for each other: none of them can go on", 0)
    end
  end
end

local function spawn(fn, ...)
  if type(fn) ~= "function" then error("coroutine.spawn expects a function", 2) end
  local P = proc()
  local tasks = P.tasks
  if tasks == nil then
    tasks = {}
    P.tasks, P.drain = tasks, drain
  end
  local task
  if select("#", ...) == 0 then
    task = co_create(fn)
  else
    local args = table.pack(...)
    task = co_create(function() return fn(table.unpack(args, 1, args.n)) end)
  end
  tasks[#tasks + 1] = task
  progress = progress + 1
  return true
end
coroutine.spawn = spawn

-- Channels -------------------------------------------------------------------------------------
-- A channel lives in one process. Internal sources (inbox, events, listen, timers) are filled by
-- the runtime and read with B.receive (messages) or B.poll (events, timers); channels made with
-- channel.new buffer Lua values here.
local Channel = { __name = "channel", __wippy_nocopy = true, __metatable = false }
Channel.__index = Channel

-- A runtime channel holds only its source and key: its values wait in the mailbox, not here.
local function new_channel(capacity, source, key)
  if source then return setmetatable({ source = source, key = key }, Channel) end
  return setmetatable({ cap = capacity or 0, buf = {}, head = 1, tail = 0, closed = false, receivers = 0 }, Channel)
end

local Message = { __name = "message", __metatable = false }
Message.__index = Message
function Message:topic() return self[1] end
function Message:from() return self[2] end
local PayloadMT = { __name = "payload", __metatable = false }
PayloadMT.__index = PayloadMT
function PayloadMT:data() return self[1] end
-- "bytes" for bytes that are not text (a WebSocket binary frame), "string" for text, else "lua".
function PayloadMT:get_format()
  if self[2] then return "bytes" end
  return type(self[1]) == "string" and "string" or "lua"
end
function Message:payload() return setmetatable({ self[3], self[4] }, PayloadMT) end

-- Message objects are made by B.receive, which takes the next message of the inbox or of a topic.
local receive_message = B.receive
B.message_metatable(Message)

local function poll(ch)
  local source = ch.source
  if source == INBOX or source == LISTEN then
    local m = receive_message(source, ch.key)
    if m == nil then return false end
    if source == LISTEN and not ch.messages then return true, m[3] end
    return true, m
  end
  local got, v = B.poll(source, ch.key)
  if not got then return false end
  if ch.wrap then return true, ch.wrap(v) end
  return true, v
end

local function try_receive(ch)
  if ch.source then
    if ch.closed then return true, nil, false end
    local got, v = poll(ch)
    if got then return true, v, true end
    return false
  end
  if ch.tail >= ch.head then
    local v = ch.buf[ch.head]
    ch.buf[ch.head] = nil
    ch.head = ch.head + 1
    progress = progress + 1
    return true, v, true
  end
  if ch.closed then return true, nil, false end
  return false
end

local function try_send(ch, v, level)
  if ch.closed then error("send on a closed channel", level) end
  if ch.source then error("cannot send to a " .. (ch.source == INBOX and "process inbox" or "runtime channel"), level) end
  -- Room: a free slot, or a coroutine waiting to receive (an unbuffered channel hands over).
  if ch.tail - ch.head + 1 < ch.cap + ch.receivers then
    ch.tail = ch.tail + 1
    ch.buf[ch.tail] = v
    progress = progress + 1
    return true
  end
  return false
end

function Channel:send(v)
  while not try_send(self, v, 3) do
    if not block(nil, false) then
      error("channel send would block forever: the channel is full and no other coroutine can receive", 2)
    end
  end
  return true
end

function Channel:receive()
  local source = self.source
  if source == INBOX or self.messages then
    -- The common case in one call per message, and few stack slots beneath the wait.
    while not self.closed do
      local m = receive_message(source, self.key)
      if m ~= nil then return m, true end
      block(nil, true)
    end
    return nil, false
  end
  while true do
    local ready, v, ok = try_receive(self)
    if ready then return v, ok end
    if self.source then
      block(nil, true)
    else
      self.receivers = self.receivers + 1
      local can = block(nil, false)
      self.receivers = self.receivers - 1
      if not can then error("channel receive would block forever: the channel is empty", 2) end
    end
  end
end

function Channel:close()
  if self.source == TIMER then B.timer_stop(self.key) end
  self.closed = true
  progress = progress + 1
end

-- A channel's receive case is made once and kept: loops that select over the same channels build
-- no new case tables each time round.
function Channel:case_receive()
  local case = self.receive_case
  if not case then
    case = { channel = self, receive = true }
    self.receive_case = case
  end
  return case
end
function Channel:case_send(v) return { channel = self, send = true, value = v } end

local rotation = 0
local function select_(cases)
  if type(cases) ~= "table" then error("channel.select expects a table of cases", 2) end
  local n, external = #cases, false
  for i = 1, n do
    local c = cases[i]
    if type(c) ~= "table" or metatable(c.channel) ~= Channel then
      error(format("channel.select: case %d is not a channel case (use ch:case_receive() or ch:case_send(v))", i), 2)
    end
    if c.channel.source then external = true end
  end
  while true do
    rotation = rotation + 1
    for k = 0, n - 1 do
      local c = cases[(rotation + k) % n + 1]
      if c.send then
        if try_send(c.channel, c.value, 3) then return { channel = c.channel, ok = true } end
      else
        local ready, v, ok = try_receive(c.channel)
        if ready then return { channel = c.channel, value = v, ok = ok } end
      end
    end
    if cases.default then return { default = true, ok = true } end
    for i = 1, n do
      local c = cases[i]
      if c.receive and not c.channel.source then c.channel.receivers = c.channel.receivers + 1 end
    end
    local can = block(nil, external)
    for i = 1, n do
      local c = cases[i]
      if c.receive and not c.channel.source then c.channel.receivers = c.channel.receivers - 1 end
    end
    if not can then error("channel.select would block forever: no case can become ready", 2) end
  end
end

channel = {
  new = function(capacity)
    if capacity ~= nil and (type(capacity) ~= "number" or capacity < 0) then
      error("channel.new expects a capacity >= 0", 2)
    end
    return new_channel(capacity or 0)
  end,
  select = select_,
}

-- process ---------------------------------------------------------------------------------------
local spawn_modes = { plain = 0, monitored = 1, linked = 2, linked_monitored = 3 }
local function spawner(mode)
  return function(id, host, ...) return B.spawn(id, host, mode, ...) end
end

-- What a process keeps in its record P under `field`, made by make(...) on first use.
local function own(P, field, make, ...)
  local value = P[field]
  if value == nil then
    value = make(...)
    P[field] = value
  end
  return value
end
local function new_table() return {} end
-- The process's inbox or events channel. Called in tail position: no frame of its caller stays
-- beneath it (a deeper stack at this call grows the coroutine's stack for its whole life).
local function own_channel(field, source)
  local P = proc()
  local ch = P[field]
  if ch == nil then
    ch = new_channel(0, source)
    P[field] = ch
  end
  return ch
end

process = {
  pid = B.pid,
  send = B.send,
  inbox = function() return own_channel("inbox", INBOX) end,
  events = function() return own_channel("events", EVENTS) end,
  listen = function(topic, options)
    if type(topic) ~= "string" or topic == "" then error("process.listen expects a topic", 2) end
    local listeners = own(proc(), "listeners", new_table)
    local ch = listeners[topic]
    if not ch then
      B.listen(topic, true)
      ch = new_channel(0, LISTEN, topic)
      ch.messages = type(options) == "table" and options.message == true
      listeners[topic] = ch
    end
    return ch
  end,
  unlisten = function(ch)
    if metatable(ch) == Channel and ch.source == LISTEN then
      B.listen(ch.key, false)
      local listeners = proc().listeners
      if listeners then listeners[ch.key] = nil end
      ch.closed = true
    end
  end,
  registry = { register = B.register, lookup = B.lookup, unregister = B.unregister,
               LOCAL = 0, EVENTUAL = 1, CONSISTENT = 2, STRONG = 3 },
  event = { CANCEL = "pid.cancel", EXIT = "pid.exit", LINK_DOWN = "pid.link.down" },
  spawn = spawner(spawn_modes.plain),
  spawn_monitored = spawner(spawn_modes.monitored),
  spawn_linked = spawner(spawn_modes.linked),
  spawn_linked_monitored = spawner(spawn_modes.linked_monitored),
  monitor = B.monitor, unmonitor = B.unmonitor, link = B.link, unlink = B.unlink,
  cancel = B.cancel, terminate = B.terminate,
  set_options = function(options)
    if type(options) == "table" and options.trap_links ~= nil then B.trap_links(options.trap_links == true) end
    return true
  end,
}

print = function(...)  -- needs no library an app may have replaced
  local line = ""
  for i = 1, select("#", ...) do line = (i > 1 and line .. "\t" or "") .. tostring((select(i, ...))) end
  B.log("info", line)
end

-- modules ---------------------------------------------------------------------------------------
-- Built-in modules are made once per state, on first require, and frozen: every process of the
-- state shares them. Larger ones are separate chunks (the runtime's other .lua files).
local helpers = { new_channel = new_channel, timer_source = TIMER, proc = proc, raw_getmetatable = metatable,
                  raw_setmetatable = setmetatable, block = block }
local function chunk_module(name)
  return function() return B.module_chunk(name)(B, helpers) end
end
local factories = {
  json = function() return { encode = B.json_encode, decode = B.json_decode } end,
  time = chunk_module("time"),
  pubsub = chunk_module("pubsub"),
  logger = chunk_module("logger"),
  events = chunk_module("events"),
  io = chunk_module("io"),
  env = function() return { get = B.env_get, set = B.env_set, get_all = B.env_all } end,
  system = function()
    local query = B.system
    local function asks(name) return function(argument) return query(name, argument) end end
    local function refused(what) return function() return nil, "PERMISSION_DENIED: " .. what .. " is not available to Lua code" end end
    return {
      memory = { stats = asks("memory.stats"), allocated = asks("memory.allocated"), heap_objects = asks("memory.heap_objects"),
                 get_limit = asks("memory.get_limit"), set_limit = refused("system.memory.set_limit") },
      gc = { collect = B.system_gc, get_percent = function() return 100 end, set_percent = refused("system.gc.set_percent") },
      runtime = { goroutines = asks("runtime.processes"), cpu_count = asks("runtime.cpu_count"), max_procs = asks("runtime.max_procs") },
      process = { pid = asks("process.pid"), hostname = asks("process.hostname"), cwd = asks("process.cwd") },
      hosts = { list = asks("hosts.list"), processes = asks("hosts.processes") },
      supervisor = { state = asks("supervisor.state") },
      modules = asks("modules"),
      exit = refused("system.exit"),
    }
  end,
  metrics = function()
    local record = B.metric
    return {
      counter_inc = function(name, labels) return record("counter", name, 1, labels) end,
      counter_add = function(name, value, labels) return record("counter", name, value, labels) end,
      gauge_set = function(name, value, labels) return record("gauge_set", name, value, labels) end,
      gauge_inc = function(name, labels) return record("gauge", name, 1, labels) end,
      gauge_dec = function(name, labels) return record("gauge", name, -1, labels) end,
      histogram = function(name, value, labels) return record("histogram", name, value, labels) end,
    }
  end,
  funcs = function() return { call = B.call } end,
  registry = chunk_module("registry"),
  process = function() return process end,
  channel = function() return channel end,
}
for _, name in ipairs(B.modules) do factories[name] = chunk_module(name) end  -- registered from Swift
local shared_modules = {}

local function builtin_module(name)
  local m = shared_modules[name]
  if m == nil then
    m = factories[name]()
    if type(m) == "table" then m = B.freeze(m) end
    shared_modules[name] = m
  end
  return m
end

-- require as seen by code with `allowed` modules and `imports` (an entry, or a library it
-- imports); `loaded` caches what it returned; `env` is the globals imported libraries fall back to.
local function require_from(name, loaded, allowed, imports, owner, env)
  if type(name) ~= "string" then error("require expects a module name", 3) end
  local m = loaded[name]
  if m ~= nil then return m end
  if imports[name] then
    local lib_env = setmetatable({}, { __index = env })
    local factory, lib_allowed, lib_imports, lib_id = B.load_library(name, imports[name])
    if not factory then error(lib_allowed, 3) end
    local lib_loaded = {}
    lib_env.require = function(n) return require_from(n, lib_loaded, lib_allowed, lib_imports, lib_id, lib_env) end
    m = factory(lib_env)
    if m == nil then m = true end
  elseif allowed[name] and factories[name] then
    m = builtin_module(name)
  elseif factories[name] then
    error(format("module %q is not available to %s: add it to the entry's modules: list", name, owner), 3)
  else
    error(format("module %q is not available to %s: it is not a built-in module nor one of its imports", name, owner), 3)
  end
  loaded[name] = m
  return m
end

require = function(name)
  local P = proc()
  local info = P.info
  return require_from(name, own(P, "loaded", new_table), info.allowed, info.imports, info.id, P.env)
end
