-- Shows a pipeline stage that gets the next stage's PID as its spawn argument.
type Reading = {city: string, celsius: number, band: string}

local function band(c: number): string
    if c < 0 then return "freezing" elseif c < 15 then return "cool" elseif c < 25 then return "mild" end
    return "hot"
end

local function main(next_stage: string): integer
    local inbox = process.inbox()
    local rejected: integer = 0
    while true do
        local msg = inbox:receive()
        local topic: string = msg:topic()
        if topic == "line" then
            local city, value = (msg:payload():data() :: string):match("^(%a+)%s*=%s*(-?[%d.]+)$")
            if city then
                local celsius = tonumber(value) :: number
                local r: Reading = { city = city:lower(), celsius = celsius, band = band(celsius) }
                process.send(next_stage, "reading", r)
            else
                rejected = rejected + 1
            end
        elseif topic == "flush" then
            local req = msg:payload():data()
            req.rejected = rejected
            process.send(next_stage, "flush", req)
            return 0
        end
    end
end

return { main = main }
