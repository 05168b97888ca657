import Foundation

/// A compiled JSON Schema (draft 2020-12), for the keywords the runtime's schemas use:
///
/// `type`, `enum`, `const`, `properties`, `required`, `additionalProperties`, `patternProperties`,
/// `propertyNames`, `minProperties`, `maxProperties`, `items`, `prefixItems`, `minItems`, `maxItems`,
/// `uniqueItems`, `minLength`, `maxLength`, `pattern`, `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum`, `multipleOf`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`, `$ref`
/// (to `#/…` pointers and to sibling files by name) and `$defs`. Annotations (`title`,
/// `description`, `default`, `examples`, …) are kept or ignored; `patternErrorMessage` (an editor
/// extension) replaces the generic message of a failed `pattern`.
///
/// Instances are built by ``SchemaRegistry`` and never change afterwards.
public final class JSONSchema: @unchecked Sendable {
    /// `true` / `false` schemas; nil for object schemas.
    var constant: Bool?
    var types: [String]?
    var enumValues: [Node]?
    var constValue: Node?
    var title: String?

    var properties: [(name: String, schema: JSONSchema)] = []
    var required: [String] = []
    var additionalProperties: JSONSchema?
    var patternProperties: [(regex: NSRegularExpression, schema: JSONSchema)] = []
    var propertyNames: JSONSchema?
    var minProperties: Int?
    var maxProperties: Int?

    var items: JSONSchema?
    var prefixItems: [JSONSchema] = []
    var minItems: Int?
    var maxItems: Int?
    var uniqueItems = false

    var minLength: Int?
    var maxLength: Int?
    var pattern: (source: String, regex: NSRegularExpression)?
    var patternErrorMessage: String?

    var minimum: Double?
    var maximum: Double?
    var exclusiveMinimum: Double?
    var exclusiveMaximum: Double?
    var multipleOf: Double?

    var allOf: [JSONSchema] = []
    var anyOf: [JSONSchema] = []
    var oneOf: [JSONSchema] = []
    var not: JSONSchema?
    var ifSchema: JSONSchema?
    var thenSchema: JSONSchema?
    var elseSchema: JSONSchema?
    var ref: JSONSchema?

    init() {}

    /// The names this schema declares in `properties`, for "did you mean" suggestions.
    var propertyNameList: [String] { properties.map(\.name) }
}

/// A schema file that cannot be compiled: a bad `$ref`, a bad regex, a keyword of the wrong type.
public struct SchemaDefinitionError: Error, CustomStringConvertible {
    public var document: String
    public var pointer: String
    public var message: String
    public var description: String { "\(document)#\(pointer): \(message)" }
}
