-- Shows several services sharing one file: each method ticks on its own interval until CANCEL.
local logger = require("logger")
local time = require("time")

type Chore = {name: string, every: string, steady: boolean}

-- A steady chore uses one ticker; the others arm a fresh time.after each round.
local function keep_doing(chore: Chore, work: (integer) -> string): integer
    local lifecycle = process.events()
    local ticker = chore.steady and time.ticker(chore.every) or nil
    local done: integer = 0
    local last: string = "-"
    logger:info("Chore scheduled", {chore = chore.name, every = chore.every})

    while true do
        local clock = ticker and ticker:channel() or time.after(chore.every)
        local r = channel.select({lifecycle:case_receive(), clock:case_receive()})
        if r.channel == lifecycle then
            if r.value.kind == process.event.CANCEL then
                if ticker then ticker:stop() end
                logger:info("Chore summary", {chore = chore.name, runs = done, last = last})
                return 0
            end
        else
            done = done + 1
            last = work(done)
            logger:info("Tick " .. chore.name, {run = done, result = last})
        end
    end
end

local function misting(): integer
    return keep_doing({name = "misting", every = "200ms", steady = true}, function(n: integer): string
        return string.format("%dml", 50 * n)
    end)
end

local function vents(): integer
    return keep_doing({name = "vents", every = "350ms", steady = false}, function(n: integer): string
        return n % 2 == 1 and "open" or "closed"
    end)
end

local function soil_probe(): integer
    return keep_doing({name = "soil_probe", every = "600ms", steady = true}, function(n: integer): string
        local moisture: integer = 40 - n
        return "moisture=" .. moisture .. "%"
    end)
end

return {misting = misting, vents = vents, soil_probe = soil_probe}
