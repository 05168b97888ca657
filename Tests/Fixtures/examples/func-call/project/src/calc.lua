-- Shows a CLI process calling function.lua entries with funcs.call, errors included.
local io = require("io")
local funcs = require("funcs")

local function main(): integer
    io.print("-- temperatures --")
    for _, c in ipairs({ -40, 0, 37, 100 }) do
        local f, err = funcs.call("app:to_fahrenheit", c)
        if err then
            io.print("conversion failed: " .. tostring(err))
            return 1
        end
        io.print(string.format("%4d C = %5.1f F", c, f :: number))
    end

    io.print("-- bills --")
    local bills = {
        { total = 90, people = 4 },
        { total = 10, people = 3 },
        { total = 25, people = 0 },
    }
    local failures: integer = 0
    for _, bill in ipairs(bills) do
        local share, err = funcs.call("app:split_bill", bill)
        if err then
            failures = failures + 1
            io.print("refused: " .. tostring(err))
        else
            io.print(string.format("%d between %d -> %s each", bill.total, bill.people, share.rounded))
        end
    end

    io.print(string.format("done, %d of %d bills refused", failures, #bills))
    return 0
end

return { main = main }
