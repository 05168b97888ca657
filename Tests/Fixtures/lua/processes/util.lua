local json = require("json")
return { shout = function(s) return json.encode(string.upper(s) .. "!") end }
