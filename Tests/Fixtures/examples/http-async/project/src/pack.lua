-- Shows coroutine.spawn in a handler: the reply goes out first, the work continues afterwards.
local http = require("http")
local time = require("time")
local logger = require("logger")

type Job = {id: string, folder: string, files: {string}}

local function run_job(job: Job)
    logger:info("Packing started", {job = job.id, files = #job.files})
    local bytes: integer = 0
    for i, name: string in ipairs(job.files) do
        time.sleep("120ms")
        bytes = bytes + #name * 100
        logger:info("Packed file", {job = job.id, step = i, of = #job.files, file = name})
    end
    logger:info("Archive complete", {job = job.id, bytes = bytes})
end

local function handle()
    local req, res = http.request(), http.response()
    local body = req:body_json()
    if type(body) ~= "table" or type(body.folder) ~= "string" or type(body.files) ~= "table" or #body.files == 0 then
        res:set_status(http.STATUS.BAD_REQUEST)
        return res:write_json({error = "expected {folder: string, files: [string, ...]}"})
    end

    local job: Job = {id = "pack-" .. body.folder, folder = body.folder, files = body.files}
    coroutine.spawn(run_job, job)

    logger:info("Job accepted", {job = job.id})
    res:set_status(http.STATUS.ACCEPTED)
    res:write_json({job = job.id, state = "queued", files = #job.files})
end

return {handle = handle}
