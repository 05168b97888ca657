-- Shows a named service that spawns a monitored worker per request and keeps stats in a coroutine.
local time = require("time")

type Tally = {requests: integer, chars: integer}

local function main(): integer
    process.registry.register("courier")
    local inbox, events = process.inbox(), process.events()
    local waiting: {[string]: string} = {}   -- worker PID -> requester PID
    local feed = channel.new(64)             -- lengths and stats queries, in arrival order

    coroutine.spawn(function()
        local t: Tally = { requests = 0, chars = 0 }
        while true do
            local item, ok = feed:receive()
            if not ok then return end
            if type(item) == "number" then
                t.requests = t.requests + 1
                t.chars = t.chars + item
            else
                time.sleep("5ms")
                process.send(item :: string, "stats", t)
            end
        end
    end)

    while true do
        local r = channel.select({ inbox:case_receive(), events:case_receive() })
        if r.channel == events then
            local ev = r.value
            if ev.kind == process.event.CANCEL then
                feed:close()
                return 0
            elseif ev.kind == process.event.EXIT and waiting[ev.from] then
                if ev.result.error then
                    process.send(waiting[ev.from], "failed", tostring(ev.result.error))
                end
                waiting[ev.from] = nil
            end
        else
            local msg = r.value
            local body = msg:payload():data()
            if msg:topic() == "shape" then
                feed:send(#body.text)
                local pid, err = process.spawn_monitored("app:shaper", "app:backend", msg:from(), body.text, body.seq)
                if pid then
                    waiting[pid] = msg:from()
                else
                    process.send(msg:from(), "failed", "no worker: " .. tostring(err))
                end
            elseif msg:topic() == "stats" then
                feed:send(msg:from())
            end
        end
    end
end

return { main = main }
