local time = require("time")

-- Start-up work that takes `start_ms` without waiting (say, building a cache): the service is
-- not running yet, so /healthz answers 503. On CANCEL it takes `stop_ms` to finish.
local function main(start_ms, stop_ms)
  local deadline = time.now():unix_nano() + start_ms * 1000000
  while time.now():unix_nano() < deadline do end
  print("slow service ready")
  local events = process.events()
  while true do
    if events:receive().kind == process.event.CANCEL then
      time.sleep(stop_ms)
      return "stopped"
    end
  end
end

return { main = main }
