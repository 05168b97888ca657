-- Shows a publisher emitting events with events.send once its subscribers are listening.
local logger = require("logger")
local events = require("events")
local time = require("time")

type Happening = {system: string, kind: string, path: string, reader: string, title: string?}

local day: {Happening} = {
    {system = "library.members", kind = "member.joined", path = "/members/m7", reader = "m7"},
    {system = "library.loans", kind = "loan.opened", path = "/books/b12", reader = "m7", title = "Tide Tables"},
    {system = "library.loans", kind = "loan.opened", path = "/books/b40", reader = "m3", title = "Moss Atlas"},
    {system = "library.loans", kind = "loan.returned", path = "/books/b12", reader = "m7", title = "Tide Tables"},
    {system = "library.loans", kind = "loan.returned", path = "/books/b40", reader = "m3", title = "Moss Atlas"},
    {system = "library.loans", kind = "loan.opened", path = "/books/b05", reader = "m7", title = "Salt Roads"},
    {system = "library.loans", kind = "loan.returned", path = "/books/b05", reader = "m7", title = "Salt Roads"},
}

local function main(): integer
    -- wait (at most ~5 s) until both subscribers have registered their names
    for _ = 1, 100 do
        if process.registry.lookup("journal") and process.registry.lookup("returns-counter") then break end
        time.sleep("50ms")
    end

    for i, h in ipairs(day) do
        local ok, err = events.send(h.system, h.kind, h.path, {reader = h.reader, title = h.title})
        if not ok then
            logger:error("could not publish", {kind = h.kind, error = tostring(err)})
        end
        time.sleep("20ms")
    end
    logger:info("Clerk published the day", {events = #day})
    return 0
end

return {main = main}
