local json = require("json")

function run()
    -- Register this process with a name for discovery
    process.registry.register("my_ws_hub")
    print("WebSocket hub started with PID:", process.pid())
    
    -- Store connected clients
    local clients = {}
    local client_count = 0
    
    -- Create message inbox
    local inbox = process.inbox()
    local events = process.events()
    
    -- Main event loop
    while true do
        local result = channel.select({
            inbox:case_receive(),
            events:case_receive()
        })
        
        if result.channel == inbox then
            local msg = result.value
            if not msg then goto continue end
            
            local topic = msg:topic()
            local payload = msg:payload() and msg:payload():data()
            local sender = msg:from() or "unknown"
            
            if topic == "ws.join" then
                -- Parse client info from JSON
                if type(payload) == "string" then
                    local client_info, err = json.decode(payload)
                    if err then
                        print("Error decoding join payload:", err)
                        goto continue
                    end
                    
                    local client_pid = client_info.ClientPID
                    if not client_pid then
                        print("Missing ClientPID in join payload")
                        goto continue
                    end
                    
                    print("Client joined:", client_pid)
                    
                    -- Store client with metadata
                    clients[client_pid] = {
                        connected_at = os.time(),
                        metadata = client_info.Metadata or {}
                    }
                    client_count = client_count + 1
                    
                    -- Send welcome message
                    process.send(client_pid, "welcome", {
                        message = "Connected successfully",
                        client_count = client_count
                    })
                end
                
            elseif topic == "ws.leave" then
                -- Handle client disconnect
                if type(payload) == "string" then
                    local client_info, err = json.decode(payload)
                    if err then
                        print("Error decoding leave payload:", err)
                        goto continue
                    end
                    
                    local client_pid = client_info.ClientPID
                    if not client_pid then 
                        print("Missing ClientPID in leave payload")
                        goto continue
                    end
                    
                    if clients[client_pid] then
                        clients[client_pid] = nil
                        client_count = client_count - 1
                        print("Client left:", client_pid)
                    end
                end
                
            elseif topic == "ws.message" then
                -- Process application messages
                if type(payload) == "string" then
                    local data, err = json.decode(payload)
                    if err then
                        print("Error decoding message payload:", err)
                        goto continue
                    end
                    
                    -- Handle different message types
                    if data.type == "command" then
                        processCommand(data, sender, clients)
                    elseif data.type == "chat" then
                        broadcastChat(data, sender, clients)
                    end
                end
                
            elseif topic == "ws.heartbeat" then
                -- Update client heartbeat information
                if type(payload) == "string" then
                    local heartbeat_info, err = json.decode(payload)
                    if err then
                        print("Error decoding heartbeat payload:", err)
                        goto continue
                    end
                    
                    local client_pid = heartbeat_info.ClientPID
                    if client_pid and clients[client_pid] then
                        clients[client_pid].last_heartbeat = os.time()
                        clients[client_pid].uptime = heartbeat_info.Uptime
                    end
                end
            end
        elseif result.channel == events then
            -- Handle process events
            local event = result.value
            if event.kind == process.event.CANCEL then
                break
            end
        end
        ::continue::
    end
    
    return { status = "shutdown", clients = client_count }
end

-- Example function for processing commands
function processCommand(data, sender, clients)
    if data.command == "broadcast" and data.message then
        -- Broadcast message to all clients
        for client_pid, _ in pairs(clients) do
            process.send(client_pid, "broadcast", {
                from = "system",
                message = data.message
            })
        end
    end
end

-- Example function for broadcasting chat messages
function broadcastChat(data, sender, clients)
    if data.message then
        -- Get sender nickname from metadata
        local nickname = "Anonymous"
        if clients[sender] and clients[sender].metadata.nickname then
            nickname = clients[sender].metadata.nickname
        end
        
        -- Broadcast to all clients
        for client_pid, _ in pairs(clients) do
            process.send(client_pid, "chat", {
                from = nickname,
                message = data.message,
                timestamp = os.time()
            })
        end
    end
end

return { run = run }
