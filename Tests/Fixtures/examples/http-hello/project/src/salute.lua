-- Shows a function.lua HTTP handler answering JSON with http.STATUS and http.CONTENT.
local http = require("http")

type Salute = {text: string, shout: boolean, letters: integer}

local function handle()
    local req = http.request()
    local res = http.response()

    local who: string = req:query("to") or "stranger"
    local shout: boolean = req:query("loud") == "1"
    local text = "Good evening, " .. who
    if shout then text = string.upper(text) .. "!" end

    local body: Salute = {text = text, shout = shout, letters = #who}
    res:set_content_type(http.CONTENT.JSON)
    res:set_status(http.STATUS.OK)
    res:write_json(body)
end

return {handle = handle}
