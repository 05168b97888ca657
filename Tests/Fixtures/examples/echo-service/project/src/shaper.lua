-- Shows a short-lived worker that answers the requester directly, or fails on purpose.
local function main(reply_to: string, text: string, seq: integer): integer
    if text:sub(1, 1) == "!" then
        error("will not shape a line starting with '!'", 0)
    end
    local words: {string} = {}
    for w in text:gmatch("%S+") do
        words[#words + 1] = w:sub(1, 1):upper() .. w:sub(2):lower()
    end
    process.send(reply_to, "shaped", { seq = seq, text = table.concat(words, " "), words = #words })
    return #words
end

return { main = main }
