-- Shows request/reply with a named service: reply_to PID, inbox, and a timeout per request.
local io = require("io")
local time = require("time")

local function main(): integer
    local me: string = process.pid()
    local inbox = process.inbox()

    local function ask(op: string, key: string?, value: any?): {[string]: any}?
        local sent, err = process.send("shelf", op, { key = key, value = value, reply_to = me })
        if not sent then
            io.print(op .. ": send failed: " .. tostring(err))
            return nil
        end
        local late = time.after("2s")
        local r = channel.select({ inbox:case_receive(), late:case_receive() })
        if r.channel == late then
            io.print(op .. ": no answer")
            return nil
        end
        return r.value:payload():data()
    end

    for _, pair in ipairs({ { "apples", 12 }, { "pears", 3 }, { "plums", 40 }, { "apples", 9 } }) do
        local a = ask("set", pair[1], pair[2])!
        io.print(string.format("set %s=%d (%s)", pair[1], pair[2], a.replaced and "replaced" or "new"))
    end

    for _, key in ipairs({ "apples", "kiwis" }) do
        local a = ask("get", key)!
        io.print("get " .. key .. " -> " .. (a.ok and tostring(a.value) or "missing"))
    end

    io.print("delete pears -> " .. tostring(ask("delete", "pears")!.ok))
    io.print("delete pears again -> " .. tostring(ask("delete", "pears")!.ok))

    local listing = ask("list")!
    io.print("keys: " .. table.concat(listing.keys, ","))
    io.print("requests handled so far: " .. listing.handled)

    local bad = ask("rename", "plums")!
    io.print("rename -> " .. tostring(bad.error))
    return 0
end

return { main = main }
