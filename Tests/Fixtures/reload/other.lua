-- A service unrelated to the hub: registers a name and waits for CANCEL.
local function main()
  process.registry.register("reload_other")
  local events = process.events()
  while true do
    if events:receive().kind == process.event.CANCEL then return "stopped" end
  end
end

return { main = main }
