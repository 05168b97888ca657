local http = require("http")

local function relay_to(target, extra)
  local json = require("json")
  local config = { target_pid = target, metadata = { role = "tester" } }
  for k, v in pairs(extra or {}) do config[k] = v end
  http.response():set_header("X-WS-Relay", (json.encode(config)))
end

local function connect() relay_to("relay_hub") end
local function heartbeat() relay_to("relay_hub", { heartbeat_interval = "100ms" }) end

local function refuse()
  print("refuse handler ran")
  local res = http.response()
  res:set_status(http.STATUS.UNAUTHORIZED)
  res:write("no entry")
end

local function bad()
  http.response():set_header("X-WS-Relay", '{"message_topic": "x"}')
end

-- A target of its own that ends when asked: its socket must close with 1011.
local function spawned()
  local pid = process.spawn("relay:mortal", "system:processes")
  relay_to(pid)
end

return { connect = connect, heartbeat = heartbeat, refuse = refuse, bad = bad, spawned = spawned }
