-- Shows a stateless function.lua entry: a number in, a number out.
local function convert(celsius: number): number
    return celsius * 9 / 5 + 32
end

return { convert = convert }
