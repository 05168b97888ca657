-- The README's terminal app: arguments, an env setting with a default, typed Lua, exit status.
local io = require("io")
local env = require("env")

local function main(): integer
  local names: {string} = io.args()
  if #names == 0 then
    io.eprint("usage: wippy run -x greet NAME...")
    return 2
  end
  local greeting = env.get("GREETING") :: string
  for i, name in ipairs(names) do
    io.print(string.format("%d. %s, %s!", i, greeting, name))
  end
  return 0
end

return { main = main }
