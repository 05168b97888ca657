-- Shows coroutine.spawn workers fed by a buffered job channel, collected through a result channel.
local io = require("io")
local time = require("time")

type Task = {seq: integer, start: integer}
type Outcome = {seq: integer, start: integer, steps: integer, peak: integer, by: integer}

local WORKERS: integer = 4
local SEEDS = { 27, 6, 97, 1, 19, 871, 12, 3, 55, 40, 9, 703 }

local function walk(n: integer): (integer, integer)
    local steps, peak = 0, n
    while n ~= 1 do
        if n % 2 == 0 then n = n // 2 else n = 3 * n + 1 end
        if n > peak then peak = n end
        steps = steps + 1
    end
    return steps, peak
end

local function main(): integer
    local tasks = channel.new(#SEEDS)
    local outcomes = channel.new(#SEEDS)
    local sleeping, most_asleep = 0, 0  -- workers inside their sleep at once: > 1 means they overlap

    for id = 1, WORKERS do
        coroutine.spawn(function(me: integer)
            while true do
                local task, ok = tasks:receive()
                if not ok then return end
                local t = task :: Task
                sleeping = sleeping + 1
                if sleeping > most_asleep then most_asleep = sleeping end
                time.sleep("100ms")
                sleeping = sleeping - 1
                local steps, peak = walk(t.start)
                outcomes:send({ seq = t.seq, start = t.start, steps = steps, peak = peak, by = me })
            end
        end, id)
    end

    for i, seed in ipairs(SEEDS) do
        tasks:send({ seq = i, start = seed })
    end
    tasks:close()
    io.print(string.format("queued %d seeds for %d workers", #SEEDS, WORKERS))

    local got: {Outcome} = {}
    local busy: {[integer]: integer} = {}
    for _ = 1, #SEEDS do
        local o = outcomes:receive() as Outcome
        got[#got + 1] = o
        busy[o.by] = (busy[o.by] or 0) + 1
    end
    table.sort(got, function(a: Outcome, b: Outcome): boolean return a.seq < b.seq end)

    for _, o in ipairs(got) do
        io.print(string.format("#%02d start=%-4d steps=%-4d peak=%d", o.seq, o.start, o.steps, o.peak))
    end

    local handled: integer = 0
    for w = 1, WORKERS do handled = handled + (busy[w] or 0) end
    io.print(string.format("handled by workers: %d", handled))
    io.print("ran in parallel: " .. tostring(most_asleep == WORKERS))
    return 0
end

return { main = main }
