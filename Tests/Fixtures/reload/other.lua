-- A service unrelated to the hub: registers a name (by default reload_other) and waits for CANCEL.
local function main(name)
  process.registry.register(name or "reload_other")
  local events = process.events()
  while true do
    if events:receive().kind == process.event.CANCEL then return "stopped" end
  end
end

return { main = main }
