-- Returns on CANCEL.
local function front()
  local events = process.events()
  while true do
    if events:receive().kind == process.event.CANCEL then return "front done" end
  end
end

-- Says that CANCEL came, then goes on waiting: only terminate stops it.
local function linger(name)
  local events = process.events()
  while true do
    if events:receive().kind == process.event.CANCEL then print(name .. " got cancel") end
  end
end

return { front = front, linger = linger }
