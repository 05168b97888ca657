-- Shows a line-by-line terminal client: io.readline until EOF, each line answered via the courier.
local io = require("io")
local time = require("time")

local function request(inbox: any, topic: string, body: any): (string?, any)
    local sent, err = process.send("courier", topic, body)
    if not sent then return nil, "courier unreachable: " .. tostring(err) end
    local r = channel.select({ inbox:case_receive(), time.after("2s"):case_receive() })
    if r.channel ~= inbox then return nil, "timed out" end
    return r.value:topic(), r.value:payload():data()
end

local function main(): integer
    local inbox = process.inbox()
    io.print("type lines; end with EOF")
    local seq: integer = 0
    while true do
        io.write("> ")
        io.flush()
        local line = io.readline()
        if line == nil then break end
        if line:match("^%s*$") then
            io.print("(blank, skipped)")
        else
            seq = seq + 1
            local topic, data = request(inbox, "shape", { text = line, seq = seq })
            if topic == "shaped" then
                io.print(string.format("#%d %s [%d words]", data.seq, data.text, data.words))
            else
                io.print("#" .. seq .. " failed: " .. tostring(data))
            end
        end
    end
    io.print("")
    local topic, stats = request(inbox, "stats", {})
    if topic ~= "stats" then
        io.print("no stats: " .. tostring(stats))
        return 1
    end
    io.print(string.format("courier handled %d requests, %d characters", stats.requests, stats.chars))
    io.print("bye for now")
    return 0
end

return { main = main }
