-- Shows json.encode in a stage: what travels on is text, not a table.
local json = require("json")

local function main(next_stage: string): integer
    local inbox = process.inbox()
    while true do
        local msg = inbox:receive()
        if msg:topic() == "reading" then
            local text, err = json.encode(msg:payload():data())
            if not text then error("encode failed: " .. tostring(err)) end
            process.send(next_stage, "json", text)
        elseif msg:topic() == "flush" then
            process.send(next_stage, "flush", msg:payload():data())
            return 0
        end
    end
end

return { main = main }
