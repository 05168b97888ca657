-- The Lua half of the runtime's built-ins, run once in every scheduler state before any process.
--
-- It receives the Swift built-ins (B) and installs the shared globals (process, channel, print,
-- require); the runtime then freezes them (read-only to Lua code). Processes and function calls
-- are started by the runtime itself: nothing of the prelude sits beneath their code.
--
-- Everything a process owns lives in its record P (inbox, listeners, loaded modules, its globals),
-- which B.proc() returns for the process running now; nothing per process is kept in an upvalue
-- here, since every process of the state shares these functions. Swift built-ins never raise or
-- yield through Swift frames; blocking happens in B.wait, which yields to the scheduler.
local B = ...
local type, error, tostring, select, pairs = type, error, tostring, select, pairs
local metatable = B.raw_getmetatable  -- sees through __metatable: the prelude's own type checks
local setmetatable = B.raw_setmetatable  -- the prelude's own objects, with metatables it made
local format = string.format
local proc = B.proc
local INBOX, EVENTS, LISTEN, TIMER = 1, 2, 3, 4

-- Channels -------------------------------------------------------------------------------------
-- A channel lives in one process. Internal sources (inbox, events, listen, timers) are filled by
-- the runtime and read with B.receive (messages) or B.poll (events, timers); channels made with
-- channel.new buffer Lua values here.
local Channel = { __name = "channel", __wippy_nocopy = true, __metatable = false }
Channel.__index = Channel

-- A runtime channel holds only its source and key: its values wait in the mailbox, not here.
local function new_channel(capacity, source, key)
  if source then return setmetatable({ source = source, key = key }, Channel) end
  return setmetatable({ cap = capacity or 0, buf = {}, head = 1, tail = 0, closed = false }, Channel)
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
local receive_message, wait = B.receive, B.wait
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
    return true, v, true
  end
  if ch.closed then return true, nil, false end
  return false
end

local function try_send(ch, v, level)
  if ch.closed then error("send on a closed channel", level) end
  if ch.source then error("cannot send to a " .. (ch.source == INBOX and "process inbox" or "runtime channel"), level) end
  if ch.tail - ch.head + 1 < ch.cap then
    ch.tail = ch.tail + 1
    ch.buf[ch.tail] = v
    return true
  end
  return false
end

function Channel:send(v)
  if not try_send(self, v, 3) then
    error("channel send would block forever: the channel is full and no other coroutine can receive", 2)
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
      wait()
    end
    return nil, false
  end
  while true do
    local ready, v, ok = try_receive(self)
    if ready then return v, ok end
    if not self.source then error("channel receive would block forever: the channel is empty", 2) end
    B.wait()
  end
end

function Channel:close()
  if self.source == TIMER then B.timer_stop(self.key) end
  self.closed = true
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
    if not external then error("channel.select would block forever: no case can become ready", 2) end
    B.wait()
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
  registry = { register = B.register, lookup = B.lookup, unregister = B.unregister },
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
                  raw_setmetatable = setmetatable }
local function chunk_module(name)
  return function() return B.module_chunk(name)(B, helpers) end
end
local factories = {
  json = function() return { encode = B.json_encode, decode = B.json_decode } end,
  time = chunk_module("time"),
  pubsub = chunk_module("pubsub"),
  logger = chunk_module("logger"),
  events = chunk_module("events"),
  funcs = function() return { call = B.call } end,
  registry = function() return { get = B.registry_get, find = B.registry_find } end,
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
