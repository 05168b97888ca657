import Testing
import WippyProcess

@Suite("Payload JSON")
struct PayloadJSONTests {
    @Test func encodesWithSortedKeysAndEmptyArrays() {
        let value = Payload.object([("b", .array([])), ("a", .array([.int(1), .double(2.5), .null, .bool(true)])),
                                    ("s", .string("q\"\\\n\u{1}é"))])
        #expect(value.json == #"{"a":[1,2.5,null,true],"b":[],"s":"q\"\\\n\u0001é"}"#)
        #expect(Payload.double(.nan).json == "null")
        #expect(Payload.double(3).json == "3")
    }

    /// Keys of one text (a Lua table may have both `1` and `"1"`) come in a fixed order, not the
    /// dictionary's: string, integer, float, boolean.
    @Test func keysOfOneTextAreOrderedByKind() {
        let value = Payload.map([.bool(true): .int(4), .int(1): .int(2), .string("true"): .int(3), .string("1"): .int(1)])
        #expect(value.json == #"{"1":1,"1":2,"true":3,"true":4}"#)
    }

    @Test func parsesAndRoundTrips() throws {
        let text = #"{"ClientPID":"{system:http|0x0000c}","Metadata":{"n":[1,-2,3.5e2,"\u00e9\ud83d\ude00"]},"ok":false,"none":null}"#
        let value = try Payload.parseJSON(text)
        #expect(value["ClientPID"] == .string("{system:http|0x0000c}"))
        #expect(value["Metadata"]?["n"] == .array([.int(1), .int(-2), .double(350), .string("é😀")]))
        // Integral doubles print without a fraction, so compare texts: stable after one round.
        #expect(try Payload.parseJSON(value.json).json == value.json)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"unterminated", "1 2", "{\"a\":1,}", "-"])
    func rejectsBrokenJSON(_ text: String) {
        #expect(throws: JSONError.self) { try Payload.parseJSON(text) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONError.self) { try Payload.parseJSON(deep) }
    }

    /// Found by the fuzzer: a high surrogate followed by an escape that is no low surrogate
    /// underflowed while combining them (SIGILL, from any request body given to json.decode).
    @Test func loneSurrogatesBecomeReplacementCharacters() throws {
        #expect(try Payload.parseJSON(#""\ud83d\ud200""#) == .string("\u{FFFD}\u{D200}"))
        #expect(try Payload.parseJSON(#""\ud83d\u0041x""#) == .string("\u{FFFD}Ax"))
        #expect(try Payload.parseJSON(#""\ude00\ud83d""#) == .string("\u{FFFD}\u{FFFD}"))
        #expect(try Payload.parseJSON(#""\ud83d\ude00""#) == .string("😀"))
        #expect(throws: JSONError.self) { try Payload.parseJSON(#""\ud83d\u12""#) }
    }

    @Test func aValueOverTheLimitIsRefusedWhileParsing() {
        let text = "[" + Array(repeating: "1", count: 10_000).joined(separator: ",") + "]"
        #expect(throws: JSONError.self) { try Payload.parseJSON(text, limit: 64 << 10) }
        #expect((try? Payload.parseJSON(text, limit: 1 << 20)) != nil)
    }
}
