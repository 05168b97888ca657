-- Shows counters, a gauge and a histogram recorded from a handler, by outcome and by bread.
local http = require("http")
local metrics = require("metrics")
local time = require("time")

type Loaf = {bread: string, count: integer}

local function handle()
    local began = time.now()
    local req, res = http.request(), http.response()
    local order: Loaf?, err = req:body_json()
    if err or type(order) ~= "table" or type(order.bread) ~= "string" then
        metrics.counter_inc("loaves_requests_total", { outcome = "rejected" })
        res:set_status(http.STATUS.BAD_REQUEST)
        return res:write_json({ error = "send {bread = string, count = integer}" })
    end
    local count = math.tointeger(order.count) or 1
    metrics.gauge_inc("ovens_busy")
    metrics.counter_inc("loaves_requests_total", { outcome = "baked" })
    metrics.counter_add("loaves_baked_total", count, { bread = order.bread })
    metrics.gauge_dec("ovens_busy")
    metrics.histogram("bake_seconds", time.now():sub(began):seconds(), { bread = order.bread })
    res:set_status(http.STATUS.CREATED)
    res:write_json({ bread = order.bread, baked = count })
end

return { handle = handle }
