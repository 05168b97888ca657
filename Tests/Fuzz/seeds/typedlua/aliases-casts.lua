type Pair<A, B> = {first: A, second: B?}
export type Fn = (number, string) -> boolean
local p = data :: Pair<number, string>
local q = (p!).first as number
