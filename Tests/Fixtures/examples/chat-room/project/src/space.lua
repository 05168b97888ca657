-- Shows a room process: a registered name, a registry entry of its own, events on activity.
local events = require("events")
local registry = require("registry")

local function main(name: string, subject: string, owner: string): integer
    process.registry.register("parlor:" .. name)

    local changes = registry.snapshot():changes()
    changes:create({
        id = "app:parlor." .. name,
        kind = "registry.entry",
        meta = { type = "parlor.space", title = "#" .. name },
        data = { subject = subject },
    })
    local version, err = changes:apply()
    if not version then error("could not publish the room: " .. tostring(err)) end
    events.send("chatter", "room.opened", "/spaces/" .. name, { room = name })
    process.send(owner, "ready", name)

    local said: {[string]: integer} = {}
    local total: integer = 0
    local inbox = process.inbox()
    while true do
        local msg = inbox:receive()
        local body = msg:payload():data()
        if msg:topic() == "say" then
            total = total + 1
            said[body.user] = (said[body.user] or 0) + 1
            events.send("chatter", "line.posted", "/spaces/" .. name, { room = name, user = body.user })
            process.send(msg:from(), "ack", total)
        elseif msg:topic() == "close" then
            local speakers: {string} = {}
            for user, n in pairs(said) do speakers[#speakers + 1] = user .. ":" .. n end
            table.sort(speakers)
            process.send(msg:from(), "closed", { room = name, lines = total, speakers = speakers })
            return 0
        end
    end
end

return { main = main }
