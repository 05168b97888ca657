-- Shows a driver that wires a chain of processes, feeds it, and waits for the result with a timeout.
local io = require("io")
local time = require("time")
local json = require("json")

local INPUT = {
    "Oslo = -3.5", "Lima = 19", "Oslo = 2", "Cairo = 31.5", "not a reading",
    "Lima = 22.5", "Cairo = 28", "Oslo=-7", "Lima = 14", "= 12",
}

local function sorted_keys<V>(t: {[string]: V}): {string}
    local keys: {string} = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    table.sort(keys)
    return keys
end

local function main(): integer
    local tally = process.spawn("app:tally", "app:stages")
    local encode = process.spawn("app:encode", "app:stages", tally)
    local parse = process.spawn("app:parse", "app:stages", encode)
    io.print("chain: parse -> encode -> tally")

    for _, line in ipairs(INPUT) do
        process.send(parse, "line", line)
    end
    process.send(parse, "flush", { reply_to = process.pid() })
    io.print("sent " .. #INPUT .. " lines")

    local deadline = time.after("3s")
    local r = channel.select({ process.inbox():case_receive(), deadline:case_receive() })
    if r.channel == deadline then
        io.print("no summary in time")
        return 1
    end
    local summary = r.value:payload():data()

    io.print("rejected lines: " .. summary.rejected)
    for _, city in ipairs(sorted_keys(summary.cities)) do
        local s = summary.cities[city]
        io.print(string.format("%-6s n=%d min=%.1f max=%.1f avg=%.2f", city, s.count, s.low, s.high, s.sum / s.count))
    end
    io.print("bands: " .. json.encode(summary.bands))
    return 0
end

return { main = main }
