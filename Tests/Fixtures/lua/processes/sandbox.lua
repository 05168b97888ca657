-- What the sandbox removes, each tried and reported.
local function try(fn)
  local ok, err = pcall(fn)
  return ok and "allowed" or tostring(err)
end

local function run()
  return {
    os_execute = try(function() return os.execute("true") end),
    io_open = try(function() return io.open("/etc/passwd") end),
    load = try(function() return load("return 1") end),
    dofile = try(function() return dofile("/etc/passwd") end),
    debug = try(function() return debug.getinfo(1) end),
    require_io = try(function() return require("io") end),
    require_json_unlisted = try(function() return require("json") end),
    os_time = type(os.time()),
    string_ok = ("%d"):format(42),
    block_in_coroutine = select(2, coroutine.resume(coroutine.create(function() process.inbox():receive() end))),
    block_in_sort = try(function() table.sort({ 3, 1, 2 }, function(a, b) process.inbox():receive() return a < b end) end),
  }
end

local function require_unlisted()
  local json = require("json")  -- not in this entry's modules: the process fails
  return json.encode({})
end

-- table, math, utf8, coroutine and os open on first use; the result must not tell the difference.
local function lazy_libraries()
  local before = rawget(_G, "math") == nil and rawget(_G, "os") == nil and _G[1] == nil
  local floor = math.floor(2.5)
  local os_sandboxed = os.getenv == nil and os.remove == nil and type(os.clock()) == "number"
  -- A strict-globals module replaces the global table's metatable: libraries not used yet stay usable.
  setmetatable(_G, { __index = function(_, name) error("undeclared global " .. tostring(name), 2) end })
  return {
    before = before,
    floor = floor,
    after = rawget(_G, "math") ~= nil,
    os_sandboxed = os_sandboxed,
    after_strict = table.concat({ utf8.char(72), tostring(coroutine.isyieldable()) }, ","),
    undeclared = select(2, pcall(function() return no_such_global end)),
    string_arithmetic = "10" + 1,
  }
end

-- The runtime's metatable on the global table stays out of reach: getmetatable(_G) finds none (every
-- library is opened first), so code cannot hook how a library is stored and catch os.execute.
-- strict.lua's way (change the metatable getmetatable returns, or set one) then works as usual.
local function lazy_escape_and_strict()
  local mt = getmetatable(_G)
  local caught
  if mt then
    mt.__newindex = function(t, k, v) if k == "os" then caught = v.execute end rawset(t, k, v) end
  end
  local os_now = os
  local strict = {}
  setmetatable(_G, strict)
  strict.__index = function(_, name) error("undeclared global " .. tostring(name), 2) end
  local undeclared = select(2, pcall(function() return not_declared_anywhere end))
  math = nil
  local math_gone = rawget(_G, "math") == nil
  return {
    metatable_seen = mt ~= nil,
    execute_caught = caught ~= nil,
    execute_absent = os_now.execute == nil and os_now.getenv == nil,
    libraries = table.concat({ tostring(utf8.charpattern ~= nil), tostring(coroutine.running() ~= nil) }, ","),
    undeclared = undeclared,
    math_gone = math_gone,
  }
end

return { run = run, require_unlisted = require_unlisted, lazy_libraries = lazy_libraries,
         lazy_escape_and_strict = lazy_escape_and_strict }
