local http = require("http")
local json = require("json")

-- POST /api/json: decodes the body; its error goes back as a 400.
local function decode()
  local value, err = http.request():body_json()
  local res = http.response()
  if err then
    res:set_status(400)
    return res:write_json({ error = err })
  end
  res:write_json({ type = type(value) })
end

-- GET /api/write: 500 writes of 1 MiB, far more than the handler's memory.
local function write()
  local res = http.response()
  local chunk = string.rep("w", 1024 * 1024)
  for _ = 1, 500 do res:write(chunk) end
end

-- GET /api/stuck/{how}: loops that used to hold a thread for good (/api/pattern: a pattern that
-- used to backtrack for hours).
local function stuck()
  local how = http.request():param("how")
  print("stuck " .. how .. " started")
  if how == "coroutine" then
    coroutine.wrap(function() while true do end end)()
  elseif how == "sort" then
    local t = {}
    for i = 1, 100 do t[i] = i end
    table.sort(t, function() while true do end end)
  elseif how == "tostring" then
    tostring(setmetatable({}, { __tostring = function() while true do end end }))
  else
    while true do end
  end
end

-- GET /api/ws?hb=…: a relay to the hub with the heartbeat interval given.
local function relay()
  local hb = http.request():query("hb")
  local config = { target_pid = "attack.hub", heartbeat_interval = tonumber(hb) or hb }
  http.response():set_header("X-WS-Relay", (json.encode(config)))
end

return { json = decode, write = write, stuck = stuck, relay = relay }
