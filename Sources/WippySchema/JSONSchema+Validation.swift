import Foundation

extension JSONSchema {
    /// Every place where `node` breaks this schema, in document order.
    public func validate(_ node: Node) -> [SchemaError] {
        var errors: [SchemaError] = []
        var path: [PathComponent] = []
        check(node, path: &path, errors: &errors)
        return errors
    }

    /// Whether `node` satisfies this schema.
    public func accepts(_ node: Node) -> Bool {
        validate(node).isEmpty
    }

    // MARK: - Keywords

    func check(_ node: Node, path: inout [PathComponent], errors: inout [SchemaError]) {
        if let constant {
            if !constant { errors.append(error(path, node.mark, "no value is allowed here", "false")) }
            return
        }
        if let ref { ref.check(node, path: &path, errors: &errors) }

        if let types, !types.contains(where: { Self.matches(node, type: $0) }) {
            errors.append(error(path, node.mark, "expected \(Self.list(types, "or")), got \(Self.describe(node))", "type"))
            return  // the other keywords would only repeat the type mismatch
        }
        if let constValue, constValue != node {
            errors.append(error(path, node.mark, "expected \(Self.render(constValue)), got \(Self.render(node))", "const"))
        }
        if let enumValues, !enumValues.contains(node) {
            errors.append(error(path, node.mark, enumMessage(node, enumValues), "enum"))
        }

        switch node.value {
        case let .object(members): checkObject(node, members, path: &path, errors: &errors)
        case let .array(items): checkArray(node, items, path: &path, errors: &errors)
        case let .string(string): checkString(node, string, path: path, errors: &errors)
        case .int, .double: checkNumber(node, node.double ?? 0, path: path, errors: &errors)
        case .null, .bool: break
        }

        for schema in allOf { schema.check(node, path: &path, errors: &errors) }
        if !anyOf.isEmpty { checkAlternatives(anyOf, exactlyOne: false, node, path: &path, errors: &errors) }
        if !oneOf.isEmpty { checkAlternatives(oneOf, exactlyOne: true, node, path: &path, errors: &errors) }
        if let not, not.accepts(node) {
            errors.append(error(path, node.mark, "this value is not allowed here", "not"))
        }
        if let ifSchema {
            if ifSchema.accepts(node) {
                thenSchema?.check(node, path: &path, errors: &errors)
            } else {
                elseSchema?.check(node, path: &path, errors: &errors)
            }
        }
    }

    private func checkObject(_ node: Node, _ members: [Node.Member], path: inout [PathComponent], errors: inout [SchemaError]) {
        for name in required where !members.contains(where: { $0.key == name }) {
            errors.append(error(path, node.mark, "missing required field \"\(name)\"", "required"))
        }
        if let minProperties, members.count < minProperties {
            errors.append(error(path, node.mark, "needs at least \(minProperties) field(s)", "minProperties"))
        }
        if let maxProperties, members.count > maxProperties {
            errors.append(error(path, node.mark, "allows at most \(maxProperties) field(s)", "maxProperties"))
        }
        for member in members {
            path.append(.key(member.key))
            defer { path.removeLast() }
            if let propertyNames {
                let keyNode = Node(.string(member.key), mark: member.keyMark)
                for failure in propertyNames.validate(keyNode) {
                    errors.append(error(path, member.keyMark, "bad field name: \(failure.message)", "propertyNames"))
                }
            }
            var matched = false
            if let declared = properties.first(where: { $0.name == member.key }) {
                matched = true
                declared.schema.check(member.value, path: &path, errors: &errors)
            }
            for (regex, schema) in patternProperties where Self.search(regex, member.key) {
                matched = true
                schema.check(member.value, path: &path, errors: &errors)
            }
            guard !matched, let additionalProperties else { continue }
            if additionalProperties.constant == false {
                var message = "unknown field \"\(member.key)\""
                if let near = Suggestion.nearest(to: member.key, in: propertyNameList) {
                    message += "; did you mean \"\(near)\"?"
                }
                errors.append(error(path, member.keyMark, message, "additionalProperties"))
            } else {
                additionalProperties.check(member.value, path: &path, errors: &errors)
            }
        }
    }

    private func checkArray(_ node: Node, _ items: [Node], path: inout [PathComponent], errors: inout [SchemaError]) {
        if let minItems, items.count < minItems {
            errors.append(error(path, node.mark, "needs at least \(minItems) item(s), got \(items.count)", "minItems"))
        }
        if let maxItems, items.count > maxItems {
            errors.append(error(path, node.mark, "allows at most \(maxItems) item(s), got \(items.count)", "maxItems"))
        }
        if uniqueItems {
            for (i, item) in items.enumerated() where items[..<i].contains(item) {
                errors.append(error(path + [.index(i)], item.mark, "\(Self.render(item)) appears more than once", "uniqueItems"))
            }
        }
        for (i, item) in items.enumerated() {
            let schema = i < prefixItems.count ? prefixItems[i] : self.items
            guard let schema else { continue }
            path.append(.index(i))
            schema.check(item, path: &path, errors: &errors)
            path.removeLast()
        }
    }

    private func checkString(_ node: Node, _ string: String, path: [PathComponent], errors: inout [SchemaError]) {
        let length = string.unicodeScalars.count
        if let minLength, length < minLength {
            let message = minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters long"
            errors.append(error(path, node.mark, message, "minLength"))
        }
        if let maxLength, length > maxLength {
            errors.append(error(path, node.mark, "must be at most \(maxLength) characters long", "maxLength"))
        }
        if let pattern, !Self.search(pattern.regex, string) {
            let message = patternErrorMessage.map { "\(Self.render(node)): \($0)" }
                ?? "\(Self.render(node)) does not match the pattern \(pattern.source)"
            errors.append(error(path, node.mark, message, "pattern"))
        }
    }

    private func checkNumber(_ node: Node, _ number: Double, path: [PathComponent], errors: inout [SchemaError]) {
        let shown = Self.render(node)
        if let minimum, number < minimum {
            errors.append(error(path, node.mark, "must be at least \(Self.format(minimum)), got \(shown)", "minimum"))
        }
        if let maximum, number > maximum {
            errors.append(error(path, node.mark, "must be at most \(Self.format(maximum)), got \(shown)", "maximum"))
        }
        if let exclusiveMinimum, number <= exclusiveMinimum {
            errors.append(error(path, node.mark, "must be greater than \(Self.format(exclusiveMinimum)), got \(shown)", "exclusiveMinimum"))
        }
        if let exclusiveMaximum, number >= exclusiveMaximum {
            errors.append(error(path, node.mark, "must be less than \(Self.format(exclusiveMaximum)), got \(shown)", "exclusiveMaximum"))
        }
        if let multipleOf {
            let quotient = number / multipleOf
            if !quotient.isFinite || quotient.rounded() != quotient {
                errors.append(error(path, node.mark, "must be a multiple of \(Self.format(multipleOf)), got \(shown)", "multipleOf"))
            }
        }
    }

    /// `anyOf` / `oneOf`. When no branch fits, the error names what the closest branch missed.
    private func checkAlternatives(_ branches: [JSONSchema], exactlyOne: Bool, _ node: Node,
                                   path: inout [PathComponent], errors: inout [SchemaError]) {
        let keyword = exactlyOne ? "oneOf" : "anyOf"
        var results: [[SchemaError]] = []
        for branch in branches {
            var branchErrors: [SchemaError] = []
            branch.check(node, path: &path, errors: &branchErrors)
            results.append(branchErrors)
        }
        let passing = results.filter(\.isEmpty).count
        if passing == 0 {
            if results.allSatisfy({ $0.allSatisfy { $0.keyword == "required" && $0.path == path } }) {
                // Typical "one of these fields" rule: name them all at once.
                let names = branches.flatMap(\.required)
                let message = "missing required field: one of \(Self.list(names.map { "\"\($0)\"" }, "or"))"
                errors.append(error(path, node.mark, message, keyword))
            } else if let closest = results.min(by: { $0.count < $1.count }) {
                errors.append(contentsOf: closest)
            }
        } else if exactlyOne, passing > 1 {
            errors.append(error(path, node.mark, "matches more than one of the allowed shapes", keyword))
        }
    }

    // MARK: - Messages

    private func error(_ path: [PathComponent], _ mark: SourceMark, _ message: String, _ keyword: String) -> SchemaError {
        SchemaError(path: path, mark: mark, message: message, keyword: keyword)
    }

    private func enumMessage(_ node: Node, _ values: [Node]) -> String {
        let what = title ?? "value"
        var message = "unknown \(what) \(Self.render(node))"
        let names = values.compactMap(\.string)
        if let text = node.string, let near = Suggestion.nearest(to: text, in: names) {
            message += "; did you mean \"\(near)\"?"
        } else if values.count <= 12 {
            message += "; expected \(Self.list(values.map(Self.render), "or"))"
        }
        return message
    }

    static func matches(_ node: Node, type: String) -> Bool {
        switch (type, node.value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object),
             ("integer", .int), ("number", .int), ("number", .double):
            return true
        case let ("integer", .double(d)):
            return d.rounded() == d
        default:
            return false
        }
    }

    static func search(_ regex: NSRegularExpression, _ string: String) -> Bool {
        regex.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil
    }

    /// `boolean`, `string "yes"`, `array` — what a value is, for type errors.
    static func describe(_ node: Node) -> String {
        switch node.value {
        case .string, .int, .double, .bool: return "\(node.typeName) \(render(node))"
        default: return node.typeName
        }
    }

    /// A short JSON-like rendering of a value for messages.
    static func render(_ node: Node) -> String {
        switch node.value {
        case .null: return "null"
        case let .bool(b): return String(b)
        case let .int(i): return String(i)
        case let .double(d): return format(d)
        case let .string(s): return "\"\(s)\""
        case let .array(a): return a.count <= 4 ? "[" + a.map(render).joined(separator: ", ") + "]" : "[…]"
        case .object: return "{…}"
        }
    }

    static func format(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }

    static func list(_ words: [String], _ conjunction: String) -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " \(conjunction) " + words.last!
    }
}
