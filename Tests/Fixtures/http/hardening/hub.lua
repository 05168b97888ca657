-- Answers "ping" with "pong"; "control:<json>" sends that ws.control to the client.
local function run()
  process.registry.register("attack.hub")
  local inbox = process.inbox()
  local events = process.events()
  while true do
    local result = channel.select({ inbox:case_receive(), events:case_receive() })
    if result.channel == events then return end
    local message = result.value
    local topic, from, data = message:topic(), message:from(), message:payload():data()
    if topic == "ws.message" and data == "ping" then
      process.send(from, "pong", "pong")
    elseif topic == "ws.message" and data:sub(1, 8) == "control:" then
      process.send(from, "ws.control", data:sub(9))
      process.send(from, "controlled", data:sub(9))
    end
  end
end

return { run = run }
