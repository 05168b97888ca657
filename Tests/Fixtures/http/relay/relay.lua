-- The hub: answers every text with an "echo" frame (raw frames for "raw:…" and binary messages),
-- obeys a few commands, forwards heartbeats.
local function hub()
  local json = require("json")
  process.registry.register("relay_hub")
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select({ inbox:case_receive(), events:case_receive() })
    if r.channel == events then
      if r.value.kind == process.event.CANCEL then return "stopped" end
    else
      local msg = r.value
      local topic, data, from = msg:topic(), msg:payload():data(), msg:from()
      if topic == "ws.join" then
        local info = json.decode(data)
        process.send(info.ClientPID, "joined", { client = info.ClientPID, metadata = info.Metadata })
      elseif topic == "ws.heartbeat" then
        local info = json.decode(data)
        process.send(info.ClientPID, "hb", { uptime = info.Uptime, count = info.MessageCount })
      elseif topic == "ws.message" then
        if msg:payload():get_format() == "bytes" then
          process.send(from, "ws.binary", data)  -- a binary frame comes back as one
        elseif data:sub(1, 4) == "raw:" then
          process.send(from, "ws.text", data:sub(5))
        elseif data == "long close" then
          process.send(from, "ws.close", { code = 4001, reason = string.rep("é", 500) })
        elseif data == "close" then
          process.send(from, "ws.close", { code = 4000, reason = "asked to close" })
        elseif data == "flood" then
          local chunk = string.rep("x", 1024)
          for i = 1, 80000 do process.send(from, "flood", chunk) end
        elseif data == "retarget" then
          local side = process.spawn("relay:side", "system:processes", from)
          process.send(from, "ws.control", json.encode({ target_pid = side, message_topic = "side.msg" }))
        else
          process.send(from, "echo", { text = data })
        end
      end
    end
  end
end

-- After a retarget: tells the client it joined the side process and answers its own topic.
local function side(client)
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    if msg:topic() == "ws.join" then
      process.send(client, "side.joined", true)
    elseif msg:topic() == "side.msg" then
      process.send(client, "side.echo", msg:payload():data())
    end
  end
end

local function mortal()
  local msg = process.inbox():receive()   -- ws.join
  while true do
    msg = process.inbox():receive()
    if msg:topic() == "ws.message" and msg:payload():data() == "die" then return "done" end
  end
end

return { hub = hub, side = side, mortal = mortal }
