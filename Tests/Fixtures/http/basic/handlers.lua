local http = require("http")
local json = require("json")

local function hello()
  local req, res = http.request(), http.response()
  res:set_status(http.STATUS.CREATED)
  res:set_header("X-Greeting", "yes")
  res:set_header("X-Remote", req:remote_addr())
  res:set_content_type("text/plain")
  res:write("hello " .. req:param("name") .. " from " .. req:method() .. " " .. req:path())
  res:write(" q=" .. tostring(req:query("q")) .. " h=" .. tostring(req:header("x-test")))
end

local function echo()
  local req, res = http.request(), http.response()
  local body, err = req:body_json()
  if not body then
    res:set_status(http.STATUS.BAD_REQUEST)
    res:write_json({ error = err })
    return
  end
  if req:accepts(http.CONTENT.TEXT) and not req:accepts(http.CONTENT.JSON) then
    res:set_content_type(http.CONTENT.TEXT)
    return res:write("plain " .. req:method() .. " " .. tostring(req:content_length()))
  end
  res:write_json({ got = body, type = req:content_type(), params = req:params(), has_body = req:has_body(),
                   is_json = req:is_content_type(http.CONTENT.JSON), method = req:method() == http.METHOD.POST })
end

return { hello = hello, echo = echo }
