-- Shows a function.lua that takes a table and raises an error for bad input.
type Bill = {total: number, people: integer}
type Share = {each: number, rounded: string}

local function split(bill: Bill): Share
    if bill.people <= 0 then
        error("cannot split " .. tostring(bill.total) .. " between " .. bill.people .. " people")
    end
    local each: number = bill.total / bill.people
    return { each = each, rounded = string.format("%.2f", each) }
end

return { split = split }
