-- Shows a function.lua that takes its configuration from env variables.
local env = require("env")

type Line = {title: string, cents: integer}

local function total(lines: {Line}): string
    local shop = env.get("SHOP_NAME") or "?"
    local currency = env.get("CURRENCY") or "?"
    local rate: number = tonumber(env.get("TAX_RATE")) or 0
    local sum: integer = 0
    for _, l in ipairs(lines) do sum = sum + l.cents end
    local taxed: integer = math.floor(sum * (1 + rate) + 0.5)
    return string.format("%s: %d items, %.2f %s incl. tax", shop, #lines, taxed / 100, currency)
end

return { total = total }
