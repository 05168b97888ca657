local x: number = 1
local function f(a: string?, ...: any): (number, error?)
    return #a, nil
end
