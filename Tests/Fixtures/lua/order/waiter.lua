-- Registers under its name and returns on CANCEL, like the seed's hub.
local function run(name)
  process.registry.register(name)
  local events = process.events()
  while true do
    local event = events:receive()
    if event.kind == process.event.CANCEL then
      return { status = "shutdown", name = name, reason = event.reason }
    end
  end
end

-- Never looks at its events: only terminate stops it.
local function ignore_cancel()
  process.inbox():receive()
end

return { run = run, ignore_cancel = ignore_cancel }
