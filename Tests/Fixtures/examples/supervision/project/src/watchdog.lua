-- Shows a supervisor: spawn_monitored, EXIT events from process.events(), bounded restarts.
local io = require("io")
local time = require("time")

type ExitEvent = {kind: string, from: string, result: {value: any?, error: any?}}

-- the beat at which each successive worker will fail (0: never)
local PLAN: {integer} = { 2, 4, 1, 3, 0 }

local function start(generation: integer): string
    local pid, err = process.spawn_monitored("app:flaky", "app:workers", generation, PLAN[generation])
    if not pid then error("spawn failed: " .. tostring(err)) end
    io.print(string.format("[watchdog] generation %d started as %s", generation, pid))
    return pid
end

-- the restart budget comes from the command line: wippy run -x watchdog 4
local function main(budget: string?): integer
    local max_restarts: integer = math.tointeger(tonumber(budget or "3")) or 3
    local events = process.events()
    local generation: integer = 1
    local current: string = start(generation)
    local restarts: integer = 0
    local crashes: integer = 0

    while true do
        local ev = events:receive() :: ExitEvent
        if ev.kind == process.event.EXIT and ev.from == current then
            if ev.result.error == nil then
                local done = ev.result.value :: {generation: integer, beats: integer}
                io.print(string.format("[watchdog] generation %d finished cleanly after %d beats",
                    done.generation, done.beats))
                break
            end
            crashes = crashes + 1
            io.print("[watchdog] crash from " .. ev.from .. ": " .. tostring(ev.result.error))
            if restarts >= max_restarts then
                io.print("[watchdog] restart budget of " .. max_restarts .. " spent, giving up")
                break
            end
            restarts = restarts + 1
            time.sleep(tostring(10 * restarts) .. "ms")
            generation = generation + 1
            current = start(generation)
        end
    end

    io.print(string.format("summary: generations=%d crashes=%d restarts=%d", generation, crashes, restarts))
    return crashes
end

return { main = main }
