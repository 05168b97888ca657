-- A process registers a name; a child finds it by name and answers through the inbox.
local function run()
  assert(process.registry.register("registry_test_parent"))
  -- Same name, same process: fine. Lookup of an unknown name: nil and a message.
  assert(process.registry.register("registry_test_parent"))
  local missing, err = process.registry.lookup("nobody_has_this_name")
  assert(missing == nil and type(err) == "string")
  local child = process.spawn("test:named_child", "system:processes")
  local msg = process.inbox():receive()
  local reply = msg:payload():data()
  local removed = process.registry.unregister("registry_test_parent")
  local after = process.registry.lookup("registry_test_parent")
  return { reply = reply, from_child = msg:from() == child, removed = removed, after = after }
end

local function child()
  local parent = process.registry.lookup("registry_test_parent")
  -- Send by name, not PID: the name resolves to the parent.
  process.send("registry_test_parent", "hello", { found = parent, me = process.pid() })
end

return { run = run, child = child }
