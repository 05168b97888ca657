-- The `time` module: made once per scheduler state and shared (frozen) by its processes.
local B, helpers = ...
local type, error = type, error
local setmetatable = helpers.raw_setmetatable
local getmetatable = helpers.raw_getmetatable
local new_channel, TIMER, block = helpers.new_channel, helpers.timer_source, helpers.block
local Time, Duration
Time = { __name = "time", __metatable = false }
Time.__index = Time
Duration = { __name = "duration", __metatable = false }
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

local TimerMT = { __name = "timer", __metatable = false }
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
      block(left, true)
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
