import Foundation

/// A set of schema documents that may `$ref` each other by file name
/// (`"lifecycle.schema.json#/$defs/duration"`), compiled once and shared.
public final class SchemaRegistry: @unchecked Sendable {
    private let documents: [String: Node]
    private var compiled: [String: JSONSchema] = [:]
    private let lock = NSLock()

    /// - Parameter documents: schema documents keyed by file name.
    public init(documents: [String: Node]) {
        self.documents = documents
    }

    /// Parses JSON texts keyed by file name.
    public convenience init(jsonTexts: [String: String]) throws {
        var documents: [String: Node] = [:]
        for (name, text) in jsonTexts {
            do {
                documents[name] = try Node.parseJSON(text)
            } catch {
                throw SchemaDefinitionError(document: name, pointer: "", message: "not valid JSON: \(error)")
            }
        }
        self.init(documents: documents)
    }

    /// The compiled root schema of one document.
    public func schema(named name: String) throws -> JSONSchema {
        lock.lock()
        defer { lock.unlock() }
        return try resolve(document: name, pointer: "")
    }

    // MARK: - Compilation

    private func resolve(document: String, pointer: String) throws -> JSONSchema {
        let key = document + "#" + pointer
        if let done = compiled[key] { return done }
        guard let root = documents[document] else {
            throw SchemaDefinitionError(document: document, pointer: pointer, message: "no such schema document")
        }
        guard let node = Self.follow(pointer: pointer, in: root) else {
            throw SchemaDefinitionError(document: document, pointer: pointer, message: "pointer leads nowhere")
        }
        let schema = JSONSchema()
        compiled[key] = schema  // registered before its children, so recursive $refs terminate
        try fill(schema, from: node, document: document, pointer: pointer)
        return schema
    }

    private func fill(_ schema: JSONSchema, from node: Node, document: String, pointer: String) throws {
        if let constant = node.bool {
            schema.constant = constant
            return
        }
        guard let members = node.members else {
            throw SchemaDefinitionError(document: document, pointer: pointer, message: "a schema must be an object or a boolean")
        }
        func fail(_ message: String) -> SchemaDefinitionError {
            SchemaDefinitionError(document: document, pointer: pointer, message: message)
        }
        func sub(_ path: String...) throws -> JSONSchema {
            try resolve(document: document, pointer: pointer + "/" + path.map(Self.escape).joined(separator: "/"))
        }
        func list(_ key: String, _ value: Node) throws -> [JSONSchema] {
            guard let array = value.array else { throw fail("\(key) must be an array") }
            return try array.indices.map { try sub(key, String($0)) }
        }
        func integer(_ key: String, _ value: Node) throws -> Int {
            guard let i = value.int, i >= 0 else { throw fail("\(key) must be a non-negative integer") }
            return i
        }
        func number(_ key: String, _ value: Node) throws -> Double {
            guard let d = value.double else { throw fail("\(key) must be a number") }
            return d
        }
        func regex(_ source: String) throws -> NSRegularExpression {
            do { return try NSRegularExpression(pattern: source) } catch { throw fail("bad regular expression \(source)") }
        }

        for member in members {
            let value = member.value
            switch member.key {
            case "type":
                if let single = value.string { schema.types = [single] } else if let many = value.array {
                    schema.types = many.compactMap(\.string)
                } else { throw fail("type must be a string or an array") }
            case "enum":
                guard let values = value.array else { throw fail("enum must be an array") }
                schema.enumValues = values
            case "const": schema.constValue = value
            case "title": schema.title = value.string
            case "properties":
                guard let props = value.members else { throw fail("properties must be an object") }
                schema.properties = try props.map { ($0.key, try sub("properties", $0.key)) }
            case "required":
                schema.required = value.array?.compactMap(\.string) ?? []
            case "additionalProperties": schema.additionalProperties = try sub("additionalProperties")
            case "patternProperties":
                guard let props = value.members else { throw fail("patternProperties must be an object") }
                schema.patternProperties = try props.map { (try regex($0.key), try sub("patternProperties", $0.key)) }
            case "propertyNames": schema.propertyNames = try sub("propertyNames")
            case "minProperties": schema.minProperties = try integer(member.key, value)
            case "maxProperties": schema.maxProperties = try integer(member.key, value)
            case "items": schema.items = try sub("items")
            case "prefixItems": schema.prefixItems = try list(member.key, value)
            case "minItems": schema.minItems = try integer(member.key, value)
            case "maxItems": schema.maxItems = try integer(member.key, value)
            case "uniqueItems": schema.uniqueItems = value.bool ?? false
            case "minLength": schema.minLength = try integer(member.key, value)
            case "maxLength": schema.maxLength = try integer(member.key, value)
            case "pattern":
                guard let source = value.string else { throw fail("pattern must be a string") }
                schema.pattern = (source, try regex(source))
            case "patternErrorMessage": schema.patternErrorMessage = value.string
            case "minimum": schema.minimum = try number(member.key, value)
            case "maximum": schema.maximum = try number(member.key, value)
            case "exclusiveMinimum": schema.exclusiveMinimum = try number(member.key, value)
            case "exclusiveMaximum": schema.exclusiveMaximum = try number(member.key, value)
            case "multipleOf": schema.multipleOf = try number(member.key, value)
            case "allOf": schema.allOf = try list(member.key, value)
            case "anyOf": schema.anyOf = try list(member.key, value)
            case "oneOf": schema.oneOf = try list(member.key, value)
            case "not": schema.not = try sub("not")
            case "if": schema.ifSchema = try sub("if")
            case "then": schema.thenSchema = try sub("then")
            case "else": schema.elseSchema = try sub("else")
            case "$ref":
                guard let target = value.string else { throw fail("$ref must be a string") }
                schema.ref = try resolveReference(target, from: document, pointer: pointer)
            default:
                break  // annotations ($schema, $id, $defs, description, default, examples, …)
            }
        }
    }

    private func resolveReference(_ reference: String, from document: String, pointer: String) throws -> JSONSchema {
        let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let file = parts.first.map(String.init) ?? ""
        let fragment = parts.count > 1 ? String(parts[1]) : ""
        let targetDocument = file.isEmpty ? document : (file as NSString).lastPathComponent
        guard fragment.isEmpty || fragment.hasPrefix("/") else {
            throw SchemaDefinitionError(document: document, pointer: pointer,
                                        message: "$ref \(reference): only JSON-pointer fragments are supported")
        }
        return try resolve(document: targetDocument, pointer: fragment.removingPercentEncoding ?? fragment)
    }

    /// Walks an RFC 6901 JSON pointer (`/properties/a~1b/items`).
    static func follow(pointer: String, in root: Node) -> Node? {
        var node = root
        for raw in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let token = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let member = node[token] {
                node = member
            } else if let array = node.array, let index = Int(token), array.indices.contains(index) {
                node = array[index]
            } else {
                return nil
            }
        }
        return node
    }

    static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
