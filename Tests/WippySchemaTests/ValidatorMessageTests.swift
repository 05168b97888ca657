import Testing
import WippySchema

@Suite("Validator messages")
struct ValidatorMessageTests {
    static func schema(_ json: String) throws -> JSONSchema {
        try SchemaRegistry(jsonTexts: ["s.json": json]).schema(named: "s.json")
    }

    static func object(_ members: [(String, Node.Value, SourceMark)]) -> Node {
        Node(.object(members.map { Node.Member(key: $0.0, keyMark: $0.2, value: Node($0.1, mark: $0.2)) }),
             mark: SourceMark(line: 1, column: 1))
    }

    @Test func unknownFieldSuggestsTheNearestName() throws {
        let schema = try Self.schema(#"{"properties": {"source": {}, "method": {}}, "additionalProperties": false}"#)
        let errors = schema.validate(Self.object([("sourc", .string("x"), SourceMark(line: 3, column: 5))]))
        #expect(errors.map(\.message) == [#"unknown field "sourc"; did you mean "source"?"#])
        #expect(errors.first?.mark == SourceMark(line: 3, column: 5))
        #expect(errors.first?.path == [.key("sourc")])
    }

    @Test func enumUsesItsTitleAndSuggests() throws {
        let schema = try Self.schema(#"{"title": "kind", "enum": ["process.lua", "function.lua"]}"#)
        #expect(schema.validate(Node(.string("process.lau"))).map(\.message)
            == [#"unknown kind "process.lau"; did you mean "process.lua"?"#])
        #expect(schema.validate(Node(.string("zzz"))).map(\.message)
            == [#"unknown kind "zzz"; expected "process.lua" or "function.lua""#])
    }

    @Test func typeAndRequiredMessages() throws {
        let schema = try Self.schema(#"{"type": "object", "required": ["addr"], "properties": {"n": {"type": "integer", "minimum": 1}}}"#)
        let errors = schema.validate(Self.object([("n", .int(0), SourceMark(line: 2, column: 4))]))
        #expect(errors.map(\.message) == [#"missing required field "addr""#, "must be at least 1, got 0"])
        #expect(schema.validate(Node(.string("yes"))).map(\.message) == [#"expected object, got string "yes""#])
    }

    @Test func patternErrorMessageReplacesTheRegex() throws {
        let schema = try Self.schema(#"{"pattern": "^[0-9]+s$", "patternErrorMessage": "bad duration"}"#)
        #expect(schema.validate(Node(.string("10 parsecs"))).map(\.message) == [#""10 parsecs": bad duration"#])
    }

    @Test func alternativesOfRequiredFieldsAreNamedTogether() throws {
        let schema = try Self.schema(#"{"anyOf": [{"required": ["fs"]}, {"required": ["directory"]}]}"#)
        #expect(schema.validate(Node(.object([]))).map(\.message)
            == [#"missing required field: one of "fs" or "directory""#])
    }

    @Test func crossFileReferencesResolveByFileName() throws {
        let registry = try SchemaRegistry(jsonTexts: [
            "a.json": #"{"properties": {"d": {"$ref": "b.json#/$defs/duration"}}}"#,
            "b.json": #"{"$defs": {"duration": {"type": "string"}}}"#,
        ])
        let schema = try registry.schema(named: "a.json")
        #expect(schema.validate(Self.object([("d", .int(5), SourceMark(line: 1, column: 4))])).map(\.message)
            == ["expected string, got integer 5"])
    }

    @Test func brokenSchemasFailToCompile() {
        #expect(throws: SchemaDefinitionError.self) { try Self.schema(##"{"$ref": "#/$defs/missing"}"##) }
        #expect(throws: SchemaDefinitionError.self) { try Self.schema(#"{"pattern": "("}"#) }
        #expect(throws: SchemaDefinitionError.self) { try Self.schema(#"{"minItems": "two"}"#) }
    }

    @Test func suggestionsNeedACloseMatch() {
        #expect(Suggestion.nearest(to: "modeles", in: ["modules", "method"]) == "modules")
        #expect(Suggestion.nearest(to: "xyz", in: ["modules", "method"]) == nil)
        #expect(Suggestion.nearest(to: "mehtod", in: ["method"]) == "method")  // transposition
    }
}
