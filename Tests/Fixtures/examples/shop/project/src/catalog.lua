-- Shows registry.find over registry.entry data (the list) and registry.get by ID (one packet).
local http = require("http")
local registry = require("registry")

type Packet = {sku: string, title: string, price_cents: integer, stock: integer}

local function describe(entry): Packet
    return {sku = entry.data.sku, title = entry.meta.title, price_cents = entry.data.price_cents, stock = entry.data.stock}
end

local function list()
    local res = http.response()
    local found, err = registry.find({["meta.type"] = "seed.packet"})
    if not found then
        res:set_status(http.STATUS.INTERNAL_ERROR)
        return res:write_json({error = tostring(err)})
    end
    local packets: {Packet} = {}
    for _, entry in ipairs(found) do
        table.insert(packets, describe(entry))
    end
    table.sort(packets, function(a: Packet, b: Packet): boolean return a.sku < b.sku end)
    res:write_json({count = #packets, packets = packets})
end

local function one()
    local req, res = http.request(), http.response()
    local entry = registry.get("seeds:packet." .. req:param("name"))
    if not entry or entry.meta.type ~= "seed.packet" then
        res:set_status(http.STATUS.NOT_FOUND)
        return res:write_json({error = "no such packet"})
    end
    res:write_json(describe(entry))
end

return {list = list, one = one}
