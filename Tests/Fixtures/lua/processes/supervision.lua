-- Monitors (EXIT events) and links (LINK_DOWN).
local function monitored()
  local events = process.events()
  local child = process.spawn_monitored("test:failing_child", "system:processes", "boom")
  local ev = events:receive()
  return { kind = ev.kind, is_exit = ev.kind == process.event.EXIT, from_child = ev.from == child, error = ev.result.error }
end

local function linked()
  process.set_options({ trap_links = true })
  local events = process.events()
  local child = process.spawn_linked("test:failing_child", "system:processes", "linked boom")
  local ev = events:receive()
  return { kind = ev.kind, is_link_down = ev.kind == process.event.LINK_DOWN, from_child = ev.from == child, error = ev.result.error }
end

local function linked_untrapped()
  process.spawn_linked("test:failing_child", "system:processes", "takes me down")
  process.inbox():receive()  -- never arrives: the linked failure ends this process first
  return "not reached"
end

local function fail(message)
  error(message, 0)
end

local function wait_forever()
  process.inbox():receive()
end

return { monitored = monitored, linked = linked, linked_untrapped = linked_untrapped, fail = fail, wait_forever = wait_forever }
