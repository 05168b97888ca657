-- Records an order: a counter by region, the order's value in a histogram, a gauge; and answers
-- what the metrics module refused (a counter going down, a kind or label change, a bad name).
local http = require("http")
local metrics = require("metrics")

local function run()
  local req, res = http.request(), http.response()
  local region = req:param("region")
  local value = tonumber(req:query("value")) or 0
  assert(metrics.counter_inc("orders_total", { region = region }))
  assert(metrics.histogram("order_value", value))
  assert(metrics.gauge_set("queue_depth", value, { queue = "mail" }))
  local refused = {}
  refused[#refused + 1] = select(2, metrics.counter_add("orders_total", -1, { region = region }))
  refused[#refused + 1] = select(2, metrics.gauge_inc("orders_total", { region = region }))
  refused[#refused + 1] = select(2, metrics.counter_inc("orders_total", { zone = region }))
  refused[#refused + 1] = select(2, metrics.counter_inc("bad name"))
  refused[#refused + 1] = select(2, metrics.counter_inc("wippy_mine"))
  refused[#refused + 1] = select(2, metrics.histogram("order_value", 0 / 0))
  res:write_json({ refused = refused })
end

return { run = run }
