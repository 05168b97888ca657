-- The `events` module: the runtime's event bus. A subscription's events arrive on a listen
-- channel of its own topic, as plain tables {system, kind, path, data}.
local B, helpers = ...
local setmetatable = helpers.raw_setmetatable
local Subscription = { __name = "events.subscription", __metatable = false }
Subscription.__index = Subscription

function Subscription:channel() return self.ch end
function Subscription:close()
  if self.ch then
    B.events_unsubscribe(self.topic)
    process.unlisten(self.ch)
  end
  return true
end

return {
  subscribe = function(pattern, kind)
    local topic, err = B.events_subscribe(pattern, kind)
    if not topic then return nil, err end
    return setmetatable({ topic = topic, ch = process.listen(topic) }, Subscription)
  end,
  send = function(system, kind, path, data) return B.events_send(system, kind, path, data) end,
}
