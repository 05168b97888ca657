-- Shows a spawned worker calling a function entry (funcs.call) on a timer until CANCEL.
local logger = require("logger")
local time = require("time")
local funcs = require("funcs")

local function main(probe_id: string, every: string, unit: string): integer
    local lifecycle = process.events()
    local round: integer = 0
    while true do
        local r = channel.select({lifecycle:case_receive(), time.after(every):case_receive()})
        if r.channel == lifecycle then
            if r.value.kind == process.event.CANCEL then
                logger:info("Poller finished", {probe = probe_id, rounds = round})
                return 0
            end
        else
            round = round + 1
            local reading, err = funcs.call(probe_id, round)
            if reading then
                logger:info("Reading " .. probe_id, {round = round, value = reading.value, unit = unit, note = reading.note})
            else
                logger:error("Reading failed", {probe = probe_id, round = round, error = tostring(err)})
            end
        end
    end
end

return {main = main}
