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

return { run = run, require_unlisted = require_unlisted }
