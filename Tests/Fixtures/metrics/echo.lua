-- A relay hub that sends every client message back, and the endpoint that relays to it.
local function hub()
  process.registry.register("metrics_echo")
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select({ inbox:case_receive(), events:case_receive() })
    if r.channel == events then
      if r.value.kind == process.event.CANCEL then return end
    elseif r.value:topic() == "ws.message" then
      process.send(r.value:from(), "ws.text", r.value:payload():data())
    end
  end
end

local function connect()
  require("http").response():set_header("X-WS-Relay", '{"target_pid": "metrics_echo"}')
end

return { hub = hub, connect = connect }
