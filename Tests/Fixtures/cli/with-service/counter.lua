-- The service: registers as "counter" and answers each "next" with the next number.
local function serve()
  process.registry.register("counter")
  local inbox, events, n = process.inbox(), process.events(), 0
  while true do
    local r = channel.select({ inbox:case_receive(), events:case_receive() })
    if r.channel == events then
      if r.value.kind == process.event.CANCEL then return "stopped" end
    else
      n = n + 1
      process.send(r.value:from(), "number", n)
    end
  end
end

-- The -x entry: asks the service twice.
local function ask()
  local first = process.send("counter", "next")
  if not first then return nil, "no counter service" end
  local inbox = process.inbox()
  local a = inbox:receive():payload():data()
  process.send("counter", "next")
  local b = inbox:receive():payload():data()
  return { a = a, b = b }
end

return { serve = serve, ask = ask }
