-- The `io` module: the terminal of a terminal.host (standard input, output and error, and the
-- arguments of `wippy run -x`). In a process on any other host each function gives nil and an
-- UNAVAILABLE error. Values are turned into text here, with tostring, as Lua's print does.
local B = ...
local tostring, select, concat = tostring, select, table.concat
local write = B.io_write

local function joined(separator, ...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  return concat(parts, separator)
end

return {
  write = function(...) return write(1, joined("", ...)) end,
  print = function(...) return write(1, joined("\t", ...) .. "\n") end,
  eprint = function(...) return write(2, joined("\t", ...) .. "\n") end,
  read = function(n) return B.io_read(n) end,
  readline = function() return B.io_readline() end,
  flush = function() return B.io_flush() end,
  raw = function(on) return B.io_raw(on ~= false) end,
  args = function() return B.io_args() end,
}
