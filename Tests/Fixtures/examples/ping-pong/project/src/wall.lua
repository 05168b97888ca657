-- Shows a named process.service answering messages from its inbox until CANCEL.
local logger = require("logger")

type Ball = {throw: integer, speed: integer}

local function main(): integer
    local ok, err = process.registry.register("practice-wall")
    if not ok then
        logger:error("wall could not take its name", {error = tostring(err)})
        return 1
    end
    logger:info("Wall is up", {name = "practice-wall"})

    local inbox = process.inbox()
    local events = process.events()
    local bounced: integer = 0

    while true do
        local r = channel.select({inbox:case_receive(), events:case_receive()})
        if r.channel == events then
            if r.value.kind == process.event.CANCEL then
                logger:info("Wall comes down", {bounced = bounced})
                return 0
            end
        else
            local msg = r.value
            if msg:topic() == "ball" then
                local ball: Ball = msg:payload():data()
                bounced = bounced + 1
                -- a wall takes a little speed off every ball
                local back: Ball = {throw = ball.throw, speed = ball.speed - 1}
                process.send(msg:from(), "bounce", back)
            end
        end
    end
end

return {main = main}
