-- Shows an HTTP handler validating a JSON body and spawning one process per request.
local http = require("http")
local logger = require("logger")

type Order = {piece: string, stages: integer}

local function reject(res, status: integer, why: string)
    res:set_status(status)
    res:write_json({error = why})
end

local function handle()
    local req, res = http.request(), http.response()

    local body, err = req:body_json()
    if not body or type(body) ~= "table" then
        return reject(res, http.STATUS.BAD_REQUEST, "send a JSON object: " .. tostring(err))
    end
    if type(body.piece) ~= "string" or body.piece == "" then
        return reject(res, http.STATUS.BAD_REQUEST, "piece must be a non-empty string")
    end
    local stages = body.stages or 2
    if math.type(stages) ~= "integer" or stages < 1 or stages > 6 then
        return reject(res, http.STATUS.UNPROCESSABLE, "stages must be an integer from 1 to 6")
    end

    local order: Order = {piece = body.piece, stages = stages}
    local pid, serr = process.spawn("kiln:firing", "kiln:ovens", order)
    if not pid then
        return reject(res, http.STATUS.INTERNAL_ERROR, "no oven free: " .. tostring(serr))
    end
    logger:info("Firing queued", {piece = order.piece, pid = pid})

    res:set_status(http.STATUS.ACCEPTED)
    res:write_json({pid = pid, piece = order.piece, stages = order.stages, state = "firing"})
end

return {handle = handle}
