-- Shows registry.find by meta.type and spawning one monitored worker per entry found.
local logger = require("logger")
local registry = require("registry")

type Probe = {id: string, meta: {every: string, unit: string}}

local function main(): integer
    local found, err = registry.find({["meta.type"] = "station.probe"})
    if not found then
        logger:error("registry lookup failed", {error = tostring(err)})
        return 1
    end
    table.sort(found, function(a: Probe, b: Probe): boolean return a.id < b.id end)
    logger:info("Probes discovered", {count = #found})

    local running: integer = 0
    for _, probe: Probe in ipairs(found) do
        local pid, serr = process.spawn_monitored("station:poller", "station:pollers",
            probe.id, probe.meta.every, probe.meta.unit)
        if pid then
            running = running + 1
            logger:info("Poller started", {probe = probe.id, every = probe.meta.every})
        else
            logger:error("Poller not started", {probe = probe.id, error = tostring(serr)})
        end
    end

    local lifecycle = process.events()
    while true do
        local ev = lifecycle:receive()
        if ev.kind == process.event.CANCEL then
            logger:info("Dispatcher stopping", {pollers = running})
            return 0
        elseif ev.kind == process.event.EXIT then
            running = running - 1
            logger:warn("A poller ended", {from = ev.from, left = running})
        end
    end
end

return {main = main}
