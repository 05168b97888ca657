-- Shows a tiny long-lived worker: ticks on its own interval, reports each tick, leaves on CANCEL.
local time = require("time")

local function main(queen: string, number: integer, trip_ms: integer): integer
    local lifecycle = process.events()
    local flights = time.ticker(trip_ms)
    local done: integer = 0
    while true do
        local r = channel.select({lifecycle:case_receive(), flights:channel():case_receive()})
        if r.channel == lifecycle then
            if r.value.kind == process.event.CANCEL then
                flights:stop()
                return done
            end
        else
            done = done + 1
            process.send(queen, "trip", {bee = number, trip = done})
        end
    end
end

return {main = main}
