-- handle: a table in, a table out, as a JSON-ish function.lua handler or a funcs.call target does.
local function handle(request)
  return { ok = true, user = request.user, items = #request.items }
end

return { handle = handle }
