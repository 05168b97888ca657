import Foundation
import Testing
@testable import WippyManifest
import WippySchema

@Suite("YAML 1.2 core schema typing of plain scalars")
struct YAMLCoreSchemaTests {
    @Test(arguments: [
        ("", Node.Value.null), ("~", .null), ("null", .null), ("NULL", .null),
        ("true", .bool(true)), ("False", .bool(false)),
        ("42", .int(42)), ("-7", .int(-7)), ("+3", .int(3)), ("0x1F", .int(31)), ("0o17", .int(15)),
        ("1.5", .double(1.5)), ("-.5", .double(-0.5)), ("2.", .double(2)), ("1e3", .double(1000)), ("6.02E+23", .double(6.02e23)),
        // YAML 1.1 spellings are plain strings in 1.2, as editors read them.
        ("yes", .string("yes")), ("on", .string("on")), ("10s", .string("10s")), ("1.0.0", .string("1.0.0")),
        ("0x", .string("0x")), (".", .string(".")), ("-", .string("-")), ("1e", .string("1e")), ("12:30", .string("12:30")),
    ])
    func plainScalars(_ text: String, _ expected: Node.Value) {
        #expect(YAMLCoreSchema.value(ofPlain: text) == expected)
    }

    @Test func specialFloats() {
        #expect(YAMLCoreSchema.value(ofPlain: ".inf") == .double(.infinity))
        #expect(YAMLCoreSchema.value(ofPlain: "-.Inf") == .double(-.infinity))
        guard case let .double(nan) = YAMLCoreSchema.value(ofPlain: ".nan") else { Issue.record("not a double"); return }
        #expect(nan.isNaN)
    }

    @Test func quotedScalarsStayStrings() throws {
        let node = try #require(try YAMLDocument.parse(Data("a: \"42\"\nb: 42\nc: 'true'\nd: |\n  1\n".utf8)))
        #expect(node["a"]?.value == .string("42"))
        #expect(node["b"]?.value == .int(42))
        #expect(node["c"]?.value == .string("true"))
        #expect(node["d"]?.value == .string("1\n"))
        #expect(node["b"]?.mark == SourceMark(line: 2, column: 4))
    }
}
