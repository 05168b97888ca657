for k: string, v: {[string]: any} in pairs(t) do end
local c <const>: integer = 3
