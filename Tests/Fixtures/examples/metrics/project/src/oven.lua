-- Shows the system module: the runtime's memory and processes, answered as JSON.
local http = require("http")
local metrics = require("metrics")
local system = require("system")

local function handle()
    metrics.counter_inc("oven_checks_total")
    local memory = system.memory.stats()
    local res = http.response()
    res:set_content_type(http.CONTENT.JSON)
    res:write_json({
        processes = system.runtime.goroutines(),
        cpus = system.runtime.cpu_count(),
        heap_positive = memory.alloc > 0 and memory.sys > 0,
        hosts = #system.hosts.list(),
    })
end

return { handle = handle }
