-- The `http` module: the request and response of the handler running now (B.http_get/set).
local B, helpers = ...
local type = type
local setmetatable = helpers.raw_setmetatable
local Request = { __name = "http.request", __metatable = false }
Request.__index = Request
for _, name in ipairs({ "method", "path", "param", "params", "query", "query_params", "header",
                        "headers", "body", "content_type", "host", "remote_addr" }) do
  Request[name] = function(self, key) return B.http_get(name, key) end
end
function Request:body_json() return B.http_get("body_json") end  -- decoded in place, no copy
function Request:has_body() return B.http_get("has_body") end
function Request:content_length() return tonumber(B.http_get("header", "Content-Length")) end
-- Whether the Content-Type is `media` (its parameters, such as a charset, aside; case-insensitive).
function Request:is_content_type(media)
  local given = B.http_get("header", "Content-Type")
  if type(given) ~= "string" or type(media) ~= "string" then return false end
  return (given:match("^%s*([^;%s]+)") or ""):lower() == media:lower()
end
-- Whether the client's Accept header takes `media` (no header takes anything; `*/*` and
-- `type/*` count).
function Request:accepts(media)
  local accept = B.http_get("header", "Accept")
  if type(accept) ~= "string" or accept == "" then return true end
  if type(media) ~= "string" then return false end
  media = media:lower()
  local major = media:match("^([^/]+)/") or media
  for item in accept:gmatch("[^,]+") do
    local range = (item:match("^%s*([^;%s]+)") or ""):lower()
    if range == media or range == "*/*" or range == major .. "/*" then return true end
  end
  return false
end

local Response = { __name = "http.response", __metatable = false }
Response.__index = Response
function Response:set_status(code) return B.http_set("status", code) end
function Response:set_header(name, value) return B.http_set("header", name, value) end
function Response:set_content_type(value) return B.http_set("header", "Content-Type", value) end
function Response:write(text) return B.http_set("write", text) end
function Response:write_json(value)
  local text, err = B.json_encode(value)
  if not text then return nil, err end
  B.http_set("header", "Content-Type", "application/json")
  return B.http_set("write", text)
end

-- The objects of one call, kept in its record: what a handler stores in them stays its own.
local function object(key, mt, name)
  if not B.http_get("active") then return nil, "http." .. name .. "() is only available in an HTTP handler" end
  local P = helpers.proc()
  local o = P[key]
  if not o then
    o = setmetatable({}, mt)
    P[key] = o
  end
  return o
end
return {
  request = function() return object("http_request", Request, "request") end,
  response = function() return object("http_response", Response, "response") end,
  METHOD = { GET = "GET", POST = "POST", PUT = "PUT", DELETE = "DELETE", PATCH = "PATCH", HEAD = "HEAD",
             OPTIONS = "OPTIONS" },
  STATUS = {
    OK = 200, CREATED = 201, ACCEPTED = 202, NO_CONTENT = 204, PARTIAL_CONTENT = 206,
    MOVED_PERMANENTLY = 301, FOUND = 302, SEE_OTHER = 303, NOT_MODIFIED = 304, TEMPORARY_REDIRECT = 307,
    PERMANENT_REDIRECT = 308, BAD_REQUEST = 400, UNAUTHORIZED = 401, PAYMENT_REQUIRED = 402, FORBIDDEN = 403,
    NOT_FOUND = 404, METHOD_NOT_ALLOWED = 405, NOT_ACCEPTABLE = 406, CONFLICT = 409, GONE = 410,
    UNPROCESSABLE = 422, TOO_MANY_REQUESTS = 429, INTERNAL_ERROR = 500, INTERNAL_SERVER_ERROR = 500,
    NOT_IMPLEMENTED = 501, BAD_GATEWAY = 502, SERVICE_UNAVAILABLE = 503, GATEWAY_TIMEOUT = 504,
    VERSION_NOT_SUPPORTED = 505,
  },
  CONTENT = { JSON = "application/json", FORM = "application/x-www-form-urlencoded", MULTIPART = "multipart/form-data",
              TEXT = "text/plain", STREAM = "application/octet-stream" },
}
