-- Shows the registry changing at run time: find by meta.type, snapshot, changes, apply, versions.
local io = require("io")
local registry = require("registry")

type Recipe = {id: string, meta: {type: string, title: string, minutes: integer}}

local function show(heading: string)
    local found, err = registry.find({ ["meta.type"] = "recipe" })
    if err then
        io.print("find failed: " .. tostring(err))
        return
    end
    local list = found :: {Recipe}
    table.sort(list, function(a: Recipe, b: Recipe): boolean return a.id < b.id end)
    io.print(heading .. " (" .. #list .. ")")
    for _, r in ipairs(list) do
        io.print(string.format("  %-22s %-10s %3d min", r.id, r.meta.title, r.meta.minutes))
    end
end

-- applies one batch of edits made by `edit` and prints the new version
local function commit(label: string, edit: (any) -> ()): boolean
    local snap, err = registry.snapshot()
    if not snap then
        io.print("snapshot failed: " .. tostring(err))
        return false
    end
    local changes = snap:changes()
    edit(changes)
    local version, apply_err = changes:apply()
    if not version then
        io.print(label .. " failed: " .. tostring(apply_err))
        return false
    end
    io.print(label .. " -> " .. version:string())
    return true
end

local function recipe(name: string, title: string, minutes: integer): {[string]: any}
    return {
        id = "app:recipe." .. name,
        kind = "registry.entry",
        meta = { type = "recipe", title = title, minutes = minutes },
        data = { serves = 2 },
    }
end

local function main(): integer
    local first = registry.snapshot()
    io.print("starting at " .. first:version():string())
    show("recipes")

    local steps = {
        { "add risotto", function(c) c:create(recipe("risotto", "Risotto", 35)) end },
        { "add gazpacho", function(c) c:create(recipe("gazpacho", "Gazpacho", 15)) end },
        { "drop omelette, slow pancakes", function(c)
            c:delete("app:recipe.omelette")
            local slower = recipe("pancakes", "Pancakes", 25)
            slower.data = { serves = 6 }
            c:update(slower)
        end },
    }
    for _, step in ipairs(steps) do
        if not commit(step[1], step[2]) then return 1 end
        show("recipes")
    end

    local flour = registry.get("app:pantry.flour")
    io.print("untouched: " .. flour.id .. " (" .. flour.meta.type .. ")")
    local cakes = registry.get("app:recipe.pancakes")
    io.print("pancakes now serve " .. tostring(cakes.data.serves))
    local gone, why = registry.get("app:recipe.omelette")
    io.print("omelette: " .. tostring(gone) .. ", " .. tostring(why))
    io.print("old snapshot " .. first:version():string() .. ", latest " .. registry.snapshot():version():string())
    return 0
end

return { main = main }
