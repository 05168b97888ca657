-- Shows env variables from OS, memory, file and router storages: get, set, read-only, get_all.
local io = require("io")
local env = require("env")
local funcs = require("funcs")

-- errors are strings that start with their kind; the kind is what the app acts on
local function kind(err: any): string
    return (tostring(err):match("^([%u_]+):")) or tostring(err)
end

local function show(name: string)
    local value, err = env.get(name)
    io.print(string.format("%-20s %s", name, value or ("<" .. kind(err) .. ">")))
end

local function try_set(name: string, value: string)
    local ok, err = env.set(name, value)
    io.print("set " .. name .. "=" .. value .. ": " .. (ok and "ok" or "refused, " .. kind(err)))
end

local function main(): integer
    io.print("[read]")
    for _, name in ipairs({ "SHOP_REGION", "SHOP_DEBUG_PORT_X9", "CURRENCY", "COUPON_CODE",
                            "SHOP_NAME", "TAX_RATE", "SCHEMA_VERSION", "GREETING_TONE", "app:receipt_salt" }) do
        show(name)
    end

    io.print("[write]")
    try_set("CURRENCY", "SEK")
    try_set("GREETING_TONE", "brisk")
    try_set("SCHEMA_VERSION", "8")
    try_set("SHOP_REGION", "moon")
    try_set("NO_SUCH_SETTING", "x")
    show("CURRENCY")
    show("GREETING_TONE")
    show("SCHEMA_VERSION")

    io.print("[all]")
    local all = env.get_all() :: {[string]: string}
    local names: {string} = {}
    for k in pairs(all) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do io.print("  " .. k .. "=" .. all[k]) end

    io.print("[function]")
    local text, err = funcs.call("app:receipt", {
        { title = "atlas", cents = 2450 },
        { title = "poems", cents = 1199 },
    })
    io.print(text or ("failed: " .. tostring(err)))
    return 0
end

return { main = main }
