-- The `logger` module: logger:info(msg, fields) and friends, tagged with the PID.
local B = ...
local logger = {}
local shared  -- the read-only face every process gets: logger:info passes it as self
for _, level in pairs({ "debug", "info", "warn", "error" }) do
  logger[level] = function(first, ...)
    if rawequal(first, shared) then return B.log(level, ...) end
    return B.log(level, first, ...)
  end
end
shared = B.freeze(logger)
return shared
