-- Shows the last stage: json.decode, aggregation, and the answer sent to the requester's inbox.
local json = require("json")

type Stat = {count: integer, low: number, high: number, sum: number}

local function main(): integer
    local inbox = process.inbox()
    local per_city: {[string]: Stat} = {}
    local bands: {[string]: integer} = {}
    while true do
        local msg = inbox:receive()
        if msg:topic() == "json" then
            local r = json.decode(msg:payload():data() :: string)
            local s = per_city[r.city]
            if s == nil then
                s = { count = 0, low = r.celsius, high = r.celsius, sum = 0 }
                per_city[r.city] = s
            end
            s.count = s.count + 1
            s.sum = s.sum + r.celsius
            s.low = math.min(s.low, r.celsius)
            s.high = math.max(s.high, r.celsius)
            bands[r.band] = (bands[r.band] or 0) + 1
        elseif msg:topic() == "flush" then
            local req = msg:payload():data()
            process.send(req.reply_to, "summary", { cities = per_city, bands = bands, rejected = req.rejected })
            return 0
        end
    end
end

return { main = main }
