import Foundation
import Testing
import WippySchema

/// Runs the official JSON-Schema-Test-Suite (draft 2020-12) files for the keywords the validator
/// supports. The suite is looked up in `$WIPPY_JSON_SCHEMA_SUITE` or `../shared/testdata/` beside
/// the repository; without it these tests are skipped (and say so).
@Suite("JSON-Schema-Test-Suite (draft 2020-12)")
struct TestSuiteTests {
    static let suiteFolder: String? = {
        let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidates = [
            ProcessInfo.processInfo.environment["WIPPY_JSON_SCHEMA_SUITE"],
            repository.appending(path: "../shared/testdata/json-schema-test-suite/draft2020-12").standardizedFileURL.path,
        ].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }()

    /// Keyword files whose every keyword the validator implements.
    static let files = [
        "additionalProperties", "allOf", "anyOf", "boolean_schema", "const", "enum", "exclusiveMaximum",
        "exclusiveMinimum", "if-then-else", "items", "maxItems", "maxLength", "maxProperties", "maximum",
        "minItems", "minLength", "minProperties", "minimum", "multipleOf", "not", "oneOf", "pattern",
        "patternProperties", "prefixItems", "properties", "propertyNames", "ref", "required", "type", "uniqueItems",
    ]

    /// Features outside the validator's scope (remote and anchor-based references, vocabularies
    /// the runtime's schemas never use). Groups that use them are skipped and counted.
    static let unsupportedKeys: Set<String> = [
        "$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$vocabulary",
        "unevaluatedProperties", "unevaluatedItems", "contains", "minContains", "maxContains",
        "dependentSchemas", "dependentRequired", "format",
    ]

    static func usesUnsupportedFeature(_ node: Node) -> Bool {
        switch node.value {
        case let .object(members):
            return members.contains { member in
                unsupportedKeys.contains(member.key)
                    || (member.key == "$ref" && !(member.value.string?.hasPrefix("#") ?? true))
                    || usesUnsupportedFeature(member.value)
            }
        case let .array(items): return items.contains(where: usesUnsupportedFeature)
        default: return false
        }
    }

    @Test(.enabled(if: suiteFolder != nil, "JSON-Schema-Test-Suite not found: set WIPPY_JSON_SCHEMA_SUITE"),
          arguments: files)
    func keywordFile(_ name: String) throws {
        let path = Self.suiteFolder! + "/\(name).json"
        let groups = try #require(try Node.parseJSON(String(contentsOfFile: path, encoding: .utf8)).array)
        var ran = 0, skipped = 0
        for group in groups {
            let schemaNode = try #require(group["schema"])
            let title = group["description"]?.string ?? "?"
            if Self.usesUnsupportedFeature(schemaNode) {
                skipped += 1
                continue
            }
            let schema = try SchemaRegistry(documents: ["test.json": schemaNode]).schema(named: "test.json")
            for test in group["tests"]?.array ?? [] {
                let data = try #require(test["data"])
                guard let valid = test["valid"]?.bool else { Issue.record("test without valid"); continue }
                let errors = schema.validate(data)
                #expect(errors.isEmpty == valid,
                        "\(name): \(title) / \(test["description"]?.string ?? "?"): expected \(valid ? "valid" : "invalid"), errors: \(errors)")
                ran += 1
            }
        }
        #expect(ran > 0, "no test of \(name).json ran")
        if skipped > 0 {
            print("\(name).json: \(ran) tests run, \(skipped) groups skipped (unsupported features)")
        }
    }
}
