local util = require("util")
return { run = function() return util.answer() end }
