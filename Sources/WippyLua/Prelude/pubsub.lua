-- The `pubsub` module: the seed's message constructor and send.
local B = ...
return {
  message = { new = function(from, to, topic, payload)
    return { from = from, to = to, topic = topic, payload = payload }
  end },
  send = function(message)
    if type(message) ~= "table" then return nil, "pubsub.send expects a message from pubsub.message.new" end
    return process.send(message.to, message.topic, message.payload)
  end,
}
