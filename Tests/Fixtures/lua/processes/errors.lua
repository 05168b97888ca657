-- Expected failures come back as nil, message; nothing crashes.
local json = require("json")

local function errors()
  local bad, err1 = json.decode("{not json")
  local fn, err2 = json.encode({ f = function() end })
  local sent, err3 = process.send("{system:processes|0xfffff}", "hello", 1)
  local named, err4 = process.send("nobody_by_this_name", "hello", 1)
  local cyc = {}
  cyc.self = cyc
  local sent2, err5 = process.send(process.pid(), "cyclic", cyc)
  local ch_sent, err6 = process.send(process.pid(), "chan", channel.new(1))
  local deep = {}
  for _ = 1, 100000 do deep = { deep } end
  local deep_sent, err7 = process.send(process.pid(), "deep", deep)
  local deep_text, err8 = json.encode(deep)
  return { bad = bad == nil, err1 = err1, err2 = err2, sent = sent == nil, err3 = err3, err4 = err4, err5 = err5, err6 = err6,
           err7 = err7, err8 = err8, deep_refused = deep_sent == nil and deep_text == nil }
end

return { run = errors }
