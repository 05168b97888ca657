-- Tracks its clients from ws.join / ws.leave, answers each message with its code's version.
local VERSION = "v1"

local function main()
  local json = require("json")
  process.registry.register("reload_hub")
  local clients, count = {}, 0
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select({ inbox:case_receive(), events:case_receive() })
    if r.channel == events then
      if r.value.kind == process.event.CANCEL then return "stopped" end
    else
      local msg = r.value
      local topic, data = msg:topic(), msg:payload():data()
      if topic == "ws.join" then
        local client = json.decode(data).ClientPID
        if not clients[client] then clients[client], count = true, count + 1 end
        process.send(client, "joined", { version = VERSION, clients = count })
      elseif topic == "ws.leave" then
        local client = json.decode(data).ClientPID
        if clients[client] then clients[client], count = nil, count - 1 end
      elseif topic == "ws.message" then
        if data == "die" then error("hub asked to die", 0) end
        process.send(msg:from(), "echo", { version = VERSION, text = data, clients = count })
      end
    end
  end
end

return { main = main }
