-- Shows rooms spawned on demand, found again through registry.find, with a bus observer.
local io = require("io")
local time = require("time")
local registry = require("registry")

local ROOMS = { { "knitting", "yarn and needles" }, { "astronomy", "clear skies" }, { "baking", "sourdough" } }
local LINES = { { "astronomy", "vega" }, { "knitting", "ada" }, { "astronomy", "rigel" },
                { "baking", "ada" }, { "astronomy", "vega" }, { "knitting", "ada" } }

local function wait(inbox: any, what: string): any
    local r = channel.select({ inbox:case_receive(), time.after("2s"):case_receive() })
    if r.channel ~= inbox then error("no " .. what .. " in time") end
    return r.value:payload():data()
end

local function main(): integer
    local inbox = process.inbox()
    for _, room in ipairs(ROOMS) do
        process.spawn("app:space", "app:spaces", room[1], room[2], process.pid())
        io.print("opened " .. tostring(wait(inbox, "ready")))
    end

    for _, line in ipairs(LINES) do
        process.send("parlor:" .. line[1], "say", { user = line[2] })
        local n = wait(inbox, "ack") :: integer
        io.print(string.format("%s in #%s (line %d)", line[2], line[1], n))
    end

    local found = registry.find({ ["meta.type"] = "parlor.space" })
    table.sort(found, function(a, b) return a.meta.title < b.meta.title end)
    io.print("directory:")
    for _, e in ipairs(found) do
        io.print("  " .. e.meta.title .. " - " .. e.data.subject .. " [" .. e.id .. "]")
    end

    -- events travel on their own; ask the herald until it has seen all of them
    local expected: integer = #ROOMS + #LINES
    local report: {total: integer, lines: {string}} = { total = 0, lines = {} }
    for _ = 1, 40 do
        process.send("herald", "report", {})
        report = wait(inbox, "report")
        if report.total >= expected then break end
        time.sleep("25ms")
    end
    io.print("herald saw " .. report.total .. " events:")
    for _, l in ipairs(report.lines) do io.print("  " .. l) end

    for _, room in ipairs(ROOMS) do
        process.send("parlor:" .. room[1], "close", {})
        local c = wait(inbox, "closed")
        io.print(string.format("closed #%s: %d lines by %s", c.room, c.lines, table.concat(c.speakers, ", ")))
    end
    return 0
end

return { main = main }
