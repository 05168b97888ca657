local type = type(x)
local s = "a: b \z
   c" .. [==[ type X = Y ]==] -- x!
::top:: goto top
