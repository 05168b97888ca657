-- A service whose start-up work lasts until it receives "go" (it polls its inbox without ever
-- waiting, as a long computation would), so /healthz answers 503 until then; after CANCEL it
-- needs a "finish" message to return.
local function main()
  process.registry.register("health_slow")
  local inbox = process.inbox()
  while true do
    local r = channel.select({ inbox:case_receive(), default = true })
    if not r.default and r.value:topic() == "go" then break end
  end
  print("slow service ready")
  local events = process.events()
  while true do
    local r = channel.select({ inbox:case_receive(), events:case_receive() })
    if r.channel == events and r.value.kind == process.event.CANCEL then
      while inbox:receive():topic() ~= "finish" do end
      return "stopped"
    end
  end
end

-- GET /api/v1/signal/{topic}: sends `topic` to the service.
local function signal()
  local http = require("http")
  local ok, err = process.send("health_slow", http.request():param("topic"), true)
  http.response():write(ok and "sent" or err)
end

return { main = main, signal = signal }
