-- Run with -x on one node while another holds "echo": sends, names, monitors and links across
-- nodes; prints one JSON line with what it saw.
local time = require("time")
local json = require("json")
local io = require("io")

local function find_echo()
  for _ = 1, 400 do
    local pid = process.registry.lookup("echo")
    if pid then return pid end
    time.sleep("50ms")
  end
end

local function main()
  local r = {}
  local inbox, events = process.inbox(), process.events()
  local echo = find_echo()
  r.echo = echo

  -- Payload shapes survive the trip, a large one too (it goes through the mail table).
  local big = string.rep("x", 100000)
  process.send(echo, "ping", { n = 42, f = 1.5, list = { 1, 2, 3 }, nested = { a = { b = { c = true } } },
                               bin = "\0\1\255", big = big, [7] = "seven" })
  local pong = inbox:receive():payload():data()
  local d = pong.data
  r.shapes = d.n == 42 and math.type(d.n) == "integer" and d.f == 1.5 and #d.list == 3 and d.nested.a.b.c == true
    and d.bin == "\0\1\255" and d.big == big and d[7] == "seven"
  r.pong_from = pong.by

  -- Order between one sender and one receiver, with a large message in the middle.
  for i = 1, 300 do process.send(echo, "ping", i == 150 and { i = i, pad = big } or i) end
  local in_order = true
  for i = 1, 300 do
    local v = inbox:receive():payload():data().data
    if (type(v) == "table" and v.i or v) ~= i then in_order = false end
  end
  r.in_order = in_order

  -- Names: the cluster-wide one cannot be taken again, nor shadowed by a local one.
  local _, err = process.registry.register("echo", nil, process.registry.STRONG)
  r.second_register = err
  _, err = process.registry.register("echo")
  r.local_shadow = err
  local mine = "probe_" .. process.pid():match("^{(.-)@")
  r.own_register = process.registry.register(mine, nil, process.registry.CONSISTENT)
  r.own_lookup = process.registry.lookup(mine) == process.pid()
  r.own_unregister = process.registry.unregister(mine)
  _, r.long_name = process.registry.register(string.rep("n", 300), nil, process.registry.STRONG)

  -- A monitor of a process on the other node: EXIT with its error.
  process.send(echo, "spawn_worker", true)
  local worker = inbox:receive():payload():data()
  process.monitor(worker)
  process.send(worker, "fail", true)
  local e = events:receive()
  r.monitor_event = { kind = e.kind, from = e.from, error = e.result and e.result.error }

  -- A link across nodes, trapped: LINK_DOWN when the other side fails.
  process.set_options({ trap_links = true })
  process.send(echo, "spawn_worker", true)
  local linked = inbox:receive():payload():data()
  process.link(linked)
  process.send(linked, "fail", true)
  e = events:receive()
  r.link_event = { kind = e.kind, from = e.from }

  -- A node that is not a member: an error value, at once.
  local ok, send_err = process.send("{nowhere@cluster:workers|0x00001}", "ping", 1)
  r.dead_node_send = ok == nil and send_err or "sent"

  io.print(json.encode(r))
  return 0
end

-- Monitors the echo of the other node, says so, and reports the EXIT it gets when that node is
-- lost (the test kills it), and whether the name "echo" was released.
local function watch()
  local echo = find_echo()
  process.monitor(echo)
  io.print("watching " .. echo)
  io.flush()
  local e = process.events():receive()
  local released = false
  for _ = 1, 100 do
    if not process.registry.lookup("echo") then released = true break end
    time.sleep("50ms")
  end
  io.print(json.encode({ kind = e.kind, from = e.from, error = e.result and e.result.error, released = released }))
  return 0
end

-- Sends 7 MiB messages to the other node's echo as fast as it can (run by hand: wippy run -x
-- cluster:flood on a second node): when the link does not keep up, its outbox (64 MiB)
-- fills and a send is refused with an error value; then a ping still gets its pong.
local function flood()
  local echo = find_echo()
  local chunk = string.rep("z", 7 << 20)
  local sent, refused = 0, nil
  for _ = 1, 40 do
    local ok, err = process.send(echo, "sink", chunk)
    if not ok then
      refused = err
      break
    end
    sent = sent + 1
  end
  chunk = nil
  process.send(echo, "ping", "after")
  local pong = process.inbox():receive():payload():data()
  io.print(json.encode({ sent = sent, refused = refused, after = pong.data }))
  return 0
end

return { main = main, watch = watch, flood = flood }
