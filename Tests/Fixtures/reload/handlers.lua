local http = require("http")
local VERSION = "v1"

local function connect()
  local json = require("json")
  http.response():set_header("X-WS-Relay", (json.encode({ target_pid = "reload_hub" })))
end

-- Answers the code's version; ?sleep=MS first logs that it waits, then waits that long (a
-- request in flight).
local function version()
  local sleep = http.request():query("sleep")
  if sleep then
    require("logger"):info("version " .. VERSION .. " waits")
    require("time").sleep(tonumber(sleep))
  end
  http.response():write(VERSION)
end

return { connect = connect, version = version }
