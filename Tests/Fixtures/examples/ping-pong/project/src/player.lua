-- Shows a process.service locating a peer by name and trading messages with select + time.after.
local logger = require("logger")
local time = require("time")

-- returns true when a CANCEL arrived while waiting
local function pause(events, d: string): boolean
    local r = channel.select({events:case_receive(), time.after(d):case_receive()})
    return r.channel == events and r.value.kind == process.event.CANCEL
end

local function main(throws: integer?, speed: integer?): integer
    local rounds: integer = throws or 3
    local base: integer = speed or 1
    local inbox, events = process.inbox(), process.events()

    local wall: string? = nil
    while not wall do
        wall = process.registry.lookup("practice-wall")
        if not wall and pause(events, "50ms") then return 0 end
    end
    logger:info("Player sees the wall", {wall = wall})

    local caught: integer = 0
    for throw = 1, rounds do
        process.send(wall, "ball", {throw = throw, speed = base * throw})
        local r = channel.select({
            inbox:case_receive(),
            events:case_receive(),
            time.after("2s"):case_receive(),
        })
        if r.channel == events then
            if r.value.kind == process.event.CANCEL then return 0 end
        elseif r.channel == inbox then
            local back = r.value:payload():data()
            caught = caught + 1
            logger:info("Caught the bounce", {throw = back.throw, speed = back.speed})
        else
            logger:warn("The ball never came back", {throw = throw})
        end
        if pause(events, "100ms") then return 0 end
    end
    logger:info("Practice over", {caught = caught, thrown = rounds})

    -- stay up (a service) until the runtime stops us
    while true do
        local ev = events:receive()
        if ev.kind == process.event.CANCEL then
            logger:info("Player leaves the court", {caught = caught})
            return 0
        end
    end
end

return {main = main}
