-- Shows a subscriber filtered by system and kind, keeping per-reader state until CANCEL.
local logger = require("logger")
local events = require("events")

type Tally = {[string]: integer}

local function main(): integer
    local sub, err = events.subscribe("library.loans", "loan.returned")
    if not sub then
        logger:error("returns counter cannot subscribe", {error = tostring(err)})
        return 1
    end
    process.registry.register("returns-counter")

    local per_reader: Tally = {}
    local total: integer = 0
    local feed, lifecycle = sub:channel(), process.events()
    while true do
        local r = channel.select({feed:case_receive(), lifecycle:case_receive()})
        if r.channel == lifecycle then
            if r.value.kind == process.event.CANCEL then
                sub:close()
                logger:info("Returns counter done", {total = total})
                return 0
            end
        else
            local reader: string = r.value.data.reader
            per_reader[reader] = (per_reader[reader] or 0) + 1
            total = total + 1
            logger:info("Book back", {reader = reader, count = per_reader[reader], total = total})
        end
    end
end

return {main = main}
