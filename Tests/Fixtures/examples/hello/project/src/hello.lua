-- Shows the smallest app: one process on a terminal host writing to stdout.
local io = require("io")

local function banner(word: string, width: integer): string
    local pad: integer = width - #word
    return string.rep("~", pad // 2) .. word .. string.rep("~", pad - pad // 2)
end

local function main(): integer
    local me: string = process.pid()
    io.print(banner(" greetings ", 21))
    io.print("Hi there, this process says hello.")
    io.print("Running as: " .. me)
    io.print("")
    io.print("Parts:", "process", "host", "manifest")
    io.write("No newline here, ")
    io.write("then one.\n")
    return 0
end

return { main = main }
