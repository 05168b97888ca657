-- Shows a process.service consuming checkout events from the event bus until CANCEL.
local logger = require("logger")
local events = require("events")

type Order = {customer: string, lines: {{sku: string, qty: integer}}, total_cents: integer}

local function main(): integer
    local sub, err = events.subscribe("seeds.orders", "order.placed")
    if not sub then
        logger:error("mailer cannot subscribe", {error = tostring(err)})
        return 1
    end
    logger:info("Mailer waiting for orders")

    local feed, lifecycle = sub:channel(), process.events()
    local sent: integer = 0
    while true do
        local r = channel.select({feed:case_receive(), lifecycle:case_receive()})
        if r.channel == lifecycle then
            if r.value.kind == process.event.CANCEL then
                sub:close()
                logger:info("Mailer off duty", {sent = sent})
                return 0
            end
        else
            local order: Order = r.value.data
            local items: {string} = {}
            for _, line in ipairs(order.lines) do
                table.insert(items, line.qty .. "x" .. line.sku)
            end
            sent = sent + 1
            logger:info("Order mail", {to = order.customer, path = r.value.path,
                items = table.concat(items, ","), total = string.format("%d.%02d", order.total_cents // 100, order.total_cents % 100)})
        end
    end
end

return {main = main}
