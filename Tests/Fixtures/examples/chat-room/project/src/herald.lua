-- Shows a service subscribed to the event bus with events.subscribe, answering "report" requests.
local events = require("events")

local function main(): integer
    local sub, err = events.subscribe("chatter")
    if not sub then error("subscribe failed: " .. tostring(err)) end
    process.registry.register("herald")

    local seen: {[string]: integer} = {}
    local total: integer = 0
    local feed, inbox, life = sub:channel(), process.inbox(), process.events()
    while true do
        local r = channel.select({ feed:case_receive(), inbox:case_receive(), life:case_receive() })
        if r.channel == life then
            if r.value.kind == process.event.CANCEL then
                sub:close()
                return 0
            end
        elseif r.channel == feed then
            local ev = r.value :: {system: string, kind: string, path: string, data: any}
            total = total + 1
            local key = ev.kind .. " " .. ev.path
            seen[key] = (seen[key] or 0) + 1
        else
            local lines: {string} = {}
            for key, n in pairs(seen) do lines[#lines + 1] = key .. " x" .. n end
            table.sort(lines)
            process.send(r.value:from(), "report", { total = total, lines = lines })
        end
    end
end

return { main = main }
