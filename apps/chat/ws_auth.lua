local http = require("http")
local json = require("json")

function handler()
    local req = http.request()
    local res = http.response()
    
    -- Look up hub process by name
    local hub_pid = process.registry.lookup("my_ws_hub")
    
    -- Create relay configuration
    local relay_config = {
        target_pid = hub_pid,
        message_topic = "ws.message",
        metadata = {
            client_type = "web",
            version = "1.0"
        }
    }
    
    -- Set special header for relay middleware
    local config_json, err = json.encode(relay_config)
    if err then
        res:set_status(500)
        res:write_json({ error = "Failed to encode config" })
        return
    end
    
    res:set_header("X-WS-Relay", config_json)
end

return { handler = handler }
