-- Shows a long-lived service process that owns state and answers request messages by name.
type Request = {key: string?, value: any?, reply_to: string}

local function serve(name: string): integer
    local ok, err = process.registry.register(name)
    if not ok then error("cannot take the name " .. name .. ": " .. tostring(err)) end

    local items: {[string]: any} = {}
    local handled: integer = 0
    local inbox, events = process.inbox(), process.events()

    while true do
        local r = channel.select({ inbox:case_receive(), events:case_receive() })
        if r.channel == events then
            if r.value.kind == process.event.CANCEL then return 0 end
        else
            local op: string = r.value:topic()
            local req = r.value:payload():data() :: Request
            handled = handled + 1
            local answer: {[string]: any}
            if op == "set" then
                local previous = items[req.key]
                items[req.key] = req.value
                answer = { ok = true, replaced = previous ~= nil }
            elseif op == "get" then
                answer = { ok = items[req.key] ~= nil, value = items[req.key] }
            elseif op == "delete" then
                answer = { ok = items[req.key] ~= nil }
                items[req.key] = nil
            elseif op == "list" then
                local keys: {string} = {}
                for k in pairs(items) do keys[#keys + 1] = k end
                table.sort(keys)
                answer = { ok = true, keys = keys, handled = handled }
            else
                answer = { ok = false, error = "unknown operation " .. op }
            end
            process.send(req.reply_to, "answer", answer)
        end
    end
end

return { serve = serve }
