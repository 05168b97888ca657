-- Shows a short-lived spawned process: it works in steps with time.sleep, logs, and returns.
local logger = require("logger")
local time = require("time")

type Order = {piece: string, stages: integer}

local temps: {integer} = {600, 900, 1100, 1200, 1250, 1280}

local function main(order: Order): string
    local me = process.pid()
    logger:info("Kiln lit", {piece = order.piece, stages = order.stages, pid = me})
    for stage = 1, order.stages do
        time.sleep("150ms")
        logger:info("Kiln stage", {piece = order.piece, stage = stage, celsius = temps[stage]})
    end
    logger:info("Piece ready", {piece = order.piece, pid = me})
    return "fired " .. order.piece
end

return {main = main}
