-- Shows function.lua entries called through funcs.call; each reading depends only on the round.
type Reading = {value: number, note: string?}

local function wind(round: integer): Reading
    return {value = 10 + round * 3}
end

local function rain(round: integer): Reading
    local mm: number = round * 0.5
    return {value = mm, note = mm >= 1 and "wet" or "dry"}
end

local function pressure(round: integer): Reading
    return {value = 1013 - round}
end

local function calibrate(): string
    return "calibrated"
end

return {wind = wind, rain = rain, pressure = pressure, calibrate = calibrate}
