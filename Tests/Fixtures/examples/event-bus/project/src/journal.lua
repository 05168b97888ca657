-- Shows a subscriber to a system pattern (library.*) logging every event until CANCEL.
local logger = require("logger")
local events = require("events")

local function main(): integer
    local sub, err = events.subscribe("library.*")
    if not sub then
        logger:error("journal cannot subscribe", {error = tostring(err)})
        return 1
    end
    -- the name tells the clerk that this subscriber is listening
    process.registry.register("journal")
    logger:info("Journal open")

    local feed, lifecycle = sub:channel(), process.events()
    local lines: integer = 0
    while true do
        local r = channel.select({feed:case_receive(), lifecycle:case_receive()})
        if r.channel == lifecycle then
            if r.value.kind == process.event.CANCEL then
                sub:close()
                logger:info("Journal closed", {lines = lines})
                return 0
            end
        else
            local ev = r.value
            lines = lines + 1
            logger:info("Journal line " .. lines, {system = ev.system, kind = ev.kind, path = ev.path, who = ev.data.reader})
        end
    end
end

return {main = main}
