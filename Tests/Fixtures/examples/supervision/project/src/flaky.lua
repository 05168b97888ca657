-- Shows a process that fails with error() at a chosen beat ("let it crash").
local time = require("time")

local function main(generation: integer, fail_at: integer): {[string]: integer}
    local beats: integer = 0
    while beats < 5 do
        time.sleep("20ms")
        beats = beats + 1
        if beats == fail_at then
            error(string.format("generation %d tripped on beat %d", generation, beats))
        end
    end
    return { generation = generation, beats = beats }
end

return { main = main }
