-- The hub answers each client message with the same raw frame: a binary frame's payload has the
-- format "bytes" and goes back with ws.binary, text goes back with ws.text.
local function hub()
  process.registry.register("echo_hub")
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    if msg:topic() == "ws.message" then
      local payload = msg:payload()
      local raw = payload:get_format() == "bytes" and "ws.binary" or "ws.text"
      process.send(msg:from(), raw, payload:data())
    end
  end
end

-- Every upgrade request becomes a relay to the hub.
local function connect()
  local http = require("http")
  http.response():set_header("X-WS-Relay", '{"target_pid": "echo_hub"}')
end

return { hub = hub, connect = connect }
