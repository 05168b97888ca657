/// The Lua half of the runtime's built-ins, run once in every new Lua state before the entry's code.
///
/// It receives the Swift built-ins (`B`), the entry's allowed modules and imports, and the entry ID;
/// it installs the globals (`process`, `channel`, `print`, `require`) and returns the function that
/// runs the entry: `main(chunk, method, ...)`. Swift built-ins never raise or yield through Swift
/// frames; blocking happens in `B.wait`, which yields the coroutine back to the scheduler.
enum Prelude {
    static let source = #"""
local B, allowed, imports, entry = ...
local type, error, setmetatable, getmetatable, tostring, select, pairs, rawequal =
      type, error, setmetatable, getmetatable, tostring, select, pairs, rawequal
local format = string.format
local INBOX, EVENTS, LISTEN, TIMER = 1, 2, 3, 4

-- Channels -------------------------------------------------------------------------------------
-- A channel lives in one process. Internal sources (inbox, events, listen, timers) are filled by
-- the runtime and read with B.poll; channels made with channel.new buffer Lua values here.
local Channel = { __name = "channel", __wippy_nocopy = true }
Channel.__index = Channel

local function new_channel(capacity, source, key)
  return setmetatable({ cap = capacity or 0, buf = {}, head = 1, tail = 0, closed = false,
                        source = source, key = key }, Channel)
end

local Message = { __name = "message" }
Message.__index = Message
function Message:topic() return self[1] end
function Message:from() return self[2] end
local PayloadMT = { __name = "payload" }
PayloadMT.__index = PayloadMT
function PayloadMT:data() return self[1] end
function Message:payload() return setmetatable({ self[3] }, PayloadMT) end

local function poll(ch)
  local got, a, b, c = B.poll(ch.source, ch.key)
  if not got then return false end
  if ch.source == INBOX or (ch.source == LISTEN and ch.messages) then
    return true, setmetatable({ a, b, c }, Message)
  elseif ch.source == LISTEN then
    return true, c
  elseif ch.wrap then
    return true, ch.wrap(a)
  end
  return true, a
end

local function try_receive(ch)
  if ch.tail >= ch.head then
    local v = ch.buf[ch.head]
    ch.buf[ch.head] = nil
    ch.head = ch.head + 1
    return true, v, true
  end
  if ch.source and not ch.closed then
    local got, v = poll(ch)
    if got then return true, v, true end
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

function Channel:case_receive() return { channel = self, receive = true } end
function Channel:case_send(v) return { channel = self, send = true, value = v } end

local rotation = 0
local function select_(cases)
  if type(cases) ~= "table" then error("channel.select expects a table of cases", 2) end
  local n, external = #cases, false
  for i = 1, n do
    local c = cases[i]
    if type(c) ~= "table" or getmetatable(c.channel) ~= Channel then
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
local inbox, events, listeners = nil, nil, {}
local spawn_modes = { plain = 0, monitored = 1, linked = 2, linked_monitored = 3 }
local function spawner(mode)
  return function(id, host, ...) return B.spawn(id, host, mode, ...) end
end

process = {
  pid = B.pid,
  send = function(destination, topic, payload)
    if type(destination) ~= "string" then return nil, "process.send: destination must be a PID or a registered name" end
    if type(topic) ~= "string" or topic == "" then return nil, "process.send: topic must be a non-empty string" end
    return B.send(destination, topic, payload)
  end,
  inbox = function()
    inbox = inbox or new_channel(0, INBOX)
    return inbox
  end,
  events = function()
    events = events or new_channel(0, EVENTS)
    return events
  end,
  listen = function(topic, options)
    if type(topic) ~= "string" or topic == "" then error("process.listen expects a topic", 2) end
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
    if getmetatable(ch) == Channel and ch.source == LISTEN then
      B.listen(ch.key, false)
      listeners[ch.key] = nil
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

print = function(...)  -- needs no library an app may have replaced or not opened yet
  local line = ""
  for i = 1, select("#", ...) do line = (i > 1 and line .. "\t" or "") .. tostring((select(i, ...))) end
  B.log("info", line)
end

-- modules ---------------------------------------------------------------------------------------
-- Larger modules are separate chunks, loaded (from cached bytecode) on first require only.
local function chunk_module(name)
  return function() return B.module_chunk(name)(B, { new_channel = new_channel, timer_source = TIMER }) end
end
local factories = {
  json = function() return { encode = B.json_encode, decode = B.json_decode } end,
  time = chunk_module("time"),
  pubsub = chunk_module("pubsub"),
  logger = chunk_module("logger"),
  http = chunk_module("http"),
  funcs = function() return { call = B.call } end,
  registry = function() return { get = B.registry_get, find = B.registry_find } end,
  process = function() return process end,
  channel = function() return channel end,
}
for name, extra in pairs(B.modules) do factories[name] = extra end

local function make_require(allowed_here, imports_here, owner)
  local loaded = {}
  return function(name)
    if type(name) ~= "string" then error("require expects a module name", 2) end
    local m = loaded[name]
    if m ~= nil then return m end
    if imports_here[name] then
      local env = setmetatable({}, { __index = _G })
      local chunk, lib_allowed, lib_imports, lib_id = B.load_library(name, imports_here[name], env)
      if not chunk then error(lib_allowed, 2) end
      env.require = make_require(lib_allowed, lib_imports, lib_id)
      m = chunk()
      if m == nil then m = true end
    elseif allowed_here[name] and factories[name] then
      m = factories[name]()
    elseif factories[name] then
      error(format("module %q is not available to %s: add it to the entry's modules: list", name, owner), 2)
    else
      error(format("module %q is not available to %s: it is not a built-in module nor one of its imports", name, owner), 2)
    end
    loaded[name] = m
    return m
  end
end
require = make_require(allowed, imports, entry)

-- The runner: one call per process. A pooled function state runs several calls, one after the
-- other: the entry's code is evaluated on the first, and each call starts with fresh channels.
local module
return function(chunk, method, ...)
  inbox, events, listeners = nil, nil, {}
  if module == nil then module = chunk() end
  local fn = module
  if type(module) == "table" then fn = module[method] end
  if type(fn) ~= "function" then
    error(format("%s: the code returns no function %q (end the file with: return { %s = %s })",
      entry, method, method, method), 0)
  end
  return fn(...)
end
"""#

    /// Modules loaded as their own chunks on first `require`: `(B, helpers) -> module`.
    static let modules: [String: String] = [
        "time": #"""
local B, helpers = ...
local setmetatable, getmetatable, type, error = setmetatable, getmetatable, type, error
local new_channel, TIMER = helpers.new_channel, helpers.timer_source
local Time, Duration
Time = { __name = "time" }
Time.__index = Time
Duration = { __name = "duration" }
Duration.__index = Duration
local function duration(ns) return setmetatable({ ns = ns }, Duration) end

local function to_ns(d, level)
  if type(d) == "number" or type(d) == "string" then
    local ns, err = B.duration_ns(d)
    if not ns then error(err, level) end
    return ns
  end
  if getmetatable(d) == Duration then return d.ns end
  error("a duration is a string like \"500ms\" or a number of milliseconds", level)
end

function Duration:nanoseconds() return self.ns end
function Duration:microseconds() return self.ns // 1000 end
function Duration:milliseconds() return self.ns // 1000000 end
function Duration:seconds() return self.ns / 1e9 end
function Duration:minutes() return self.ns / 6e10 end
function Duration:hours() return self.ns / 3.6e12 end

function Time:unix() return self.ns // 1000000000 end
function Time:unix_milli() return self.ns // 1000000 end
function Time:unix_nano() return self.ns end
function Time:add(d) return setmetatable({ ns = self.ns + to_ns(d, 2) }, Time) end
function Time:sub(t) return duration(self.ns - t.ns) end
function Time:before(t) return self.ns < t.ns end
function Time:after(t) return self.ns > t.ns end
function Time:equal(t) return self.ns == t.ns end
function Time:format_rfc3339() return B.format_time(self.ns) end
Time.__tostring = Time.format_rfc3339

local next_timer = 0
local function start_timer(d, repeating, level)
  local ns = to_ns(d, level + 1)
  if ns <= 0 and repeating then error("a ticker needs a duration > 0", level) end
  next_timer = next_timer + 1
  B.timer(next_timer, ns, repeating)
  local ch = new_channel(1, TIMER, next_timer)
  ch.wrap = function(ns) return setmetatable({ ns = ns }, Time) end
  return ch
end

local TimerMT = { __name = "timer" }
TimerMT.__index = TimerMT
function TimerMT:channel() return self.ch end
TimerMT.response = TimerMT.channel
function TimerMT:stop() self.ch:close() return true end
function TimerMT:reset(d)
  self.ch:close()
  self.ch = start_timer(d, self.repeating, 3)
  return true
end

local time = {
  now = function() return setmetatable({ ns = B.now_ns() }, Time) end,
  unix = function(sec, nsec) return setmetatable({ ns = (sec or 0) * 1000000000 + (nsec or 0) }, Time) end,
  sleep = function(d)
    local deadline = B.now_ns() + to_ns(d, 3)
    while true do
      local left = deadline - B.now_ns()
      if left <= 0 then return end
      B.wait(left)
    end
  end,
  after = function(d) return start_timer(d, false, 2) end,
  timer = function(d) return setmetatable({ ch = start_timer(d, false, 2), repeating = false }, TimerMT) end,
  ticker = function(d) return setmetatable({ ch = start_timer(d, true, 2), repeating = true }, TimerMT) end,
  parse_duration = function(v)
    local ns, err = B.duration_ns(v)
    if not ns then return nil, err end
    return duration(ns)
  end,
  NANOSECOND = 1, MICROSECOND = 1000, MILLISECOND = 1000000, SECOND = 1000000000,
  MINUTE = 60000000000, HOUR = 3600000000000,
}
return time
"""#,
        "pubsub": #"""
local B = ...
return {
  message = { new = function(from, to, topic, payload)
    return { from = from, to = to, topic = topic, payload = payload }
  end },
  send = function(message)
    if type(message) ~= "table" then return nil, "pubsub.send expects a message from pubsub.message.new" end
    return process.send(message.to, message.topic, message.payload)
  end,
}
"""#,
        "http": #"""
local B = ...
local setmetatable, type = setmetatable, type
local Request = { __name = "http.request" }
Request.__index = Request
for _, name in ipairs({ "method", "path", "param", "params", "query", "query_params", "header",
                        "headers", "body", "content_type", "host", "remote_addr" }) do
  Request[name] = function(self, key) return B.http_get(name, key) end
end
function Request:body_json()
  local body = B.http_get("body")
  if body == nil or body == "" then return nil, "the request has no body" end
  return B.json_decode(body)
end

local Response = { __name = "http.response" }
Response.__index = Response
function Response:set_status(code) return B.http_set("status", code) end
function Response:set_header(name, value) return B.http_set("header", name, value) end
function Response:set_content_type(value) return B.http_set("header", "Content-Type", value) end
function Response:write(text) return B.http_set("write", text) end
function Response:write_json(value)
  local text, err = B.json_encode(value)
  if not text then return nil, err end
  B.http_set("header", "Content-Type", "application/json")
  return B.http_set("write", text)
end

local request, response = setmetatable({}, Request), setmetatable({}, Response)
local function in_handler() return B.http_get("active") end
return {
  request = function()
    if not in_handler() then return nil, "http.request() is only available in an HTTP handler" end
    return request
  end,
  response = function()
    if not in_handler() then return nil, "http.response() is only available in an HTTP handler" end
    return response
  end,
  STATUS = {
    OK = 200, CREATED = 201, ACCEPTED = 202, NO_CONTENT = 204, MOVED_PERMANENTLY = 301, FOUND = 302,
    NOT_MODIFIED = 304, BAD_REQUEST = 400, UNAUTHORIZED = 401, FORBIDDEN = 403, NOT_FOUND = 404,
    METHOD_NOT_ALLOWED = 405, CONFLICT = 409, TOO_MANY_REQUESTS = 429, INTERNAL_SERVER_ERROR = 500,
    SERVICE_UNAVAILABLE = 503,
  },
}
"""#,
        "logger": #"""
local B = ...
local logger = {}
for _, level in pairs({ "debug", "info", "warn", "error" }) do
  logger[level] = function(first, ...)
    if rawequal(first, logger) then return B.log(level, ...) end
    return B.log(level, first, ...)
  end
end
return logger
"""#,
    ]
}
