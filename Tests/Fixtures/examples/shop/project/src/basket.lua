-- Shows a per-customer process registered by name that keeps state, answers requests and emits an event.
local logger = require("logger")
local events = require("events")

type Line = {sku: string, title: string, price_cents: integer, qty: integer}
type Basket = {customer: string, lines: {Line}, total_cents: integer}

local function snapshot(customer: string, lines: {[string]: Line}): Basket
    local list: {Line} = {}
    local total: integer = 0
    for _, line in pairs(lines) do
        table.insert(list, line)
        total = total + line.price_cents * line.qty
    end
    table.sort(list, function(a: Line, b: Line): boolean return a.sku < b.sku end)
    return {customer = customer, lines = list, total_cents = total}
end

local function main(customer: string): integer
    local name = "basket:" .. customer
    if not process.registry.register(name) then
        -- another request opened this basket first: pass what we got on to it, then leave
        local winner = process.registry.lookup(name)
        local msg = process.inbox():receive()
        if winner and msg then process.send(winner, msg:topic(), msg:payload():data()) end
        return 0
    end
    logger:info("Basket opened", {customer = customer})

    local lines: {[string]: Line} = {}
    local inbox, lifecycle = process.inbox(), process.events()
    while true do
        local r = channel.select({inbox:case_receive(), lifecycle:case_receive()})
        if r.channel == lifecycle then
            if r.value.kind == process.event.CANCEL then
                logger:info("Basket dropped", {customer = customer})
                return 0
            end
        else
            local topic, req = r.value:topic(), r.value:payload():data()
            if topic == "add" then
                local line = lines[req.sku] or {sku = req.sku, title = req.title, price_cents = req.price_cents, qty = 0}
                if line.qty + req.qty > req.stock then
                    process.send(req.reply_to, "reply", {ok = false, error = "only " .. req.stock .. " in stock"})
                else
                    line.qty = line.qty + req.qty
                    lines[req.sku] = line
                    logger:info("Basket line", {customer = customer, sku = req.sku, qty = line.qty})
                    process.send(req.reply_to, "reply", {ok = true, basket = snapshot(customer, lines)})
                end
            elseif topic == "show" then
                process.send(req.reply_to, "reply", {ok = true, basket = snapshot(customer, lines)})
            elseif topic == "checkout" then
                local order = snapshot(customer, lines)
                if #order.lines == 0 then
                    process.send(req.reply_to, "reply", {ok = false, error = "basket is empty"})
                else
                    process.registry.unregister(name)
                    events.send("seeds.orders", "order.placed", "/orders/" .. customer, order)
                    logger:info("Basket checked out", {customer = customer, total_cents = order.total_cents})
                    process.send(req.reply_to, "reply", {ok = true, order = order})
                    return 0
                end
            end
        end
    end
end

return {main = main}
