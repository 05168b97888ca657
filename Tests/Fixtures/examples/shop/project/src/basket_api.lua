-- Shows handlers talking to a named per-customer process: spawn on demand, send, wait on the inbox with a timeout.
local http = require("http")
local registry = require("registry")
local time = require("time")
local logger = require("logger")

type Reply = {ok: boolean, error: string?, basket: any?, order: any?}

local function basket_name(customer: string): string
    return "basket:" .. customer
end

-- Sends one request to the basket and waits for its answer (nil on timeout).
local function ask(basket: string, topic: string, payload: {[string]: any}): Reply?
    payload.reply_to = process.pid()
    local ok, err = process.send(basket, topic, payload)
    if not ok then return {ok = false, error = "basket unreachable: " .. tostring(err)} end
    local inbox = process.inbox()
    local r = channel.select({inbox:case_receive(), time.after("2s"):case_receive()})
    if r.channel ~= inbox then return nil end
    return r.value:payload():data()
end

local function answer(res, reply: Reply?, good_status: integer)
    if not reply then
        res:set_status(http.STATUS.GATEWAY_TIMEOUT)
        return res:write_json({error = "basket did not answer"})
    end
    if not reply.ok then
        res:set_status(http.STATUS.CONFLICT)
        return res:write_json({error = reply.error})
    end
    res:set_status(good_status)
    res:write_json(reply)
end

local function find_packet(sku: string)
    for _, entry in ipairs(registry.find({["meta.type"] = "seed.packet"}) or {}) do
        if entry.data.sku == sku then return entry end
    end
    return nil
end

local function add()
    local req, res = http.request(), http.response()
    local customer = req:param("customer")
    local body = req:body_json()
    if type(body) ~= "table" or type(body.sku) ~= "string" then
        res:set_status(http.STATUS.BAD_REQUEST)
        return res:write_json({error = "body must be {sku, qty?}"})
    end
    local packet = find_packet(body.sku)
    if not packet then
        res:set_status(http.STATUS.NOT_FOUND)
        return res:write_json({error = "unknown sku " .. body.sku})
    end

    local pid = process.registry.lookup(basket_name(customer))
    if not pid then
        local err
        pid, err = process.spawn("seeds:basket", "seeds:workers", customer)
        if not pid then
            res:set_status(http.STATUS.INTERNAL_ERROR)
            return res:write_json({error = tostring(err)})
        end
        logger:info("Basket spawned", {customer = customer})
    end
    answer(res, ask(pid, "add", {
        sku = packet.data.sku, title = packet.meta.title, price_cents = packet.data.price_cents,
        stock = packet.data.stock, qty = math.tointeger(body.qty) or 1,
    }), http.STATUS.OK)
end

-- Asks the customer's open basket (404 when there is none) and answers with `status`.
local function ask_open_basket(topic: string, status: integer)
    local req, res = http.request(), http.response()
    local name = basket_name(req:param("customer"))
    if not process.registry.lookup(name) then
        res:set_status(http.STATUS.NOT_FOUND)
        return res:write_json({error = "no open basket"})
    end
    answer(res, ask(name, topic, {}), status)
end

local function show() return ask_open_basket("show", http.STATUS.OK) end
local function checkout() return ask_open_basket("checkout", http.STATUS.CREATED) end

return {add = add, show = show, checkout = checkout}
