-- Shows env.get settings, mass spawn_monitored workers, and a select loop over inbox, events and a ticker.
local logger = require("logger")
local env = require("env")
local time = require("time")

type Settings = {bees: integer, min_ms: integer, max_ms: integer, census: string}

local function millis(name: string): integer
    local text = env.get(name)
    local d, err = time.parse_duration(text)
    if not d then error("bad duration in " .. name .. ": " .. tostring(err)) end
    return d:milliseconds()
end

local function settings(): Settings
    local count = tonumber(env.get("BEES"))
    return {
        bees = math.tointeger(count) or 0,
        min_ms = millis("TRIP_MIN"),
        max_ms = millis("TRIP_MAX"),
        census = env.get("CENSUS_EVERY") or "1s",
    }
end

local function main(): integer
    local s: Settings = settings()
    logger:info("Hive settings", {bees = s.bees, trip_min_ms = s.min_ms, trip_max_ms = s.max_ms, census = s.census})

    local me = process.pid()
    local hatched: integer = 0
    for i = 1, s.bees do
        local trip_ms = math.random(s.min_ms, math.max(s.min_ms, s.max_ms))
        if process.spawn_monitored("hive:bee", "hive:comb", me, i, trip_ms) then
            hatched = hatched + 1
        end
    end
    logger:info("Bees hatched", {hatched = hatched})

    local alive: integer = hatched
    local trips: integer = 0
    local lost: integer = 0
    local inbox, lifecycle = process.inbox(), process.events()
    local census = time.ticker(s.census)

    while true do
        local r = channel.select({lifecycle:case_receive(), inbox:case_receive(), census:channel():case_receive()})
        if r.channel == lifecycle then
            local ev = r.value
            if ev.kind == process.event.CANCEL then
                census:stop()
                logger:info("Hive closing", {alive = alive, trips = trips, lost = lost})
                return 0
            elseif ev.kind == process.event.EXIT then
                alive = alive - 1
                if ev.result and ev.result.error then lost = lost + 1 end
            end
        elseif r.channel == inbox then
            if r.value:topic() == "trip" then trips = trips + 1 end
        else
            logger:info("Census", {alive = alive, trips = trips, lost = lost})
        end
    end
end

return {main = main}
