-- Shows function.lua HTTP handlers answering JSON with http.STATUS and http.CONTENT.
local http = require("http")

type Salute = {text: string, shout: boolean, letters: integer}

local openers: {[string]: string} = {en = "Good evening", nl = "Goedenavond", fi = "Hyvää iltaa"}

local function reply(res, status: integer, body: {[string]: any})
    res:set_content_type(http.CONTENT.JSON)
    res:set_status(status)
    res:write_json(body)
end

-- GET /v2/salute?to=NAME[&loud=1]
local function handle()
    local req, res = http.request(), http.response()
    local who: string = req:query("to") or "stranger"
    local shout: boolean = req:query("loud") == "1"
    local text = openers.en .. ", " .. who
    if shout then text = string.upper(text) .. "!" end
    local body: Salute = {text = text, shout = shout, letters = #who}
    reply(res, http.STATUS.OK, body)
end

-- GET /v2/salute/{lang}
local function in_language()
    local req, res = http.request(), http.response()
    local lang: string = req:param("lang")
    local opener: string? = openers[lang]
    if not opener then
        return reply(res, http.STATUS.NOT_FOUND, {error = "no greeting for " .. lang})
    end
    reply(res, http.STATUS.OK, {lang = lang, text = opener})
end

return {handle = handle, in_language = in_language}
