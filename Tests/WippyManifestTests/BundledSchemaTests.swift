import Foundation
import Testing
import WippyManifest
import WippySchema

@Suite("Bundled schemas")
struct BundledSchemaTests {
    static let schemaFolder = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "schemas")

    @Test func oneSchemaPerKindPlusTheManifestAreEmbedded() throws {
        let expected = Set(EntryKind.allCases.map { "\($0.rawValue).schema.json" } + [BundledSchemas.manifestFile])
        #expect(Set(BundledSchemas.files.keys) == expected)
        let shipped = try FileManager.default.contentsOfDirectory(atPath: Self.schemaFolder.path)
        #expect(Set(shipped) == expected)
        for name in expected {
            let onDisk = try String(contentsOf: Self.schemaFolder.appending(path: name), encoding: .utf8)
            #expect(BundledSchemas.files[name] == onDisk, "\(name) differs from the embedded copy")
        }
    }

    @Test func everySchemaCompilesAndDeclaresDraft2020() throws {
        let registry = try BundledSchemas.registry()
        for (name, text) in BundledSchemas.files {
            _ = try registry.schema(named: name)
            #expect(text.contains(#""$schema": "https://json-schema.org/draft/2020-12/schema""#), "\(name)")
        }
    }

    @Test func kindSchemasAreStrict() throws {
        for kind in EntryKind.allCases where kind != .registryEntry {
            let text = try #require(BundledSchemas.files["\(kind.rawValue).schema.json"])
            let node = try Node.parseJSON(text)
            #expect(node["additionalProperties"]?.bool == false, "\(kind.rawValue) must reject unknown fields")
            #expect(node["description"]?.string?.isEmpty == false)
            for member in node["properties"]?.members ?? [] where !["name", "kind"].contains(member.key) {
                let described = member.value["description"] != nil || member.value["$ref"] != nil
                #expect(described, "\(kind.rawValue).\(member.key) has no description")
            }
        }
    }
}
