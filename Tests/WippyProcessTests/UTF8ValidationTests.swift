import Testing
import WippyProcess

/// The fast check decides exactly as the standard library does.
@Suite("UTF-8 validation")
struct UTF8ValidationTests {
    static func agree(_ bytes: [UInt8]) -> Bool {
        UTF8Validation.isValid(bytes) == (String(validating: bytes, as: UTF8.self) != nil)
    }

    @Test func edgeCases() {
        let cases: [[UInt8]] = [
            [], Array("plain ascii, longer than eight bytes".utf8), Array("é€😀".utf8),
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0xA0, 0x80], [0xED, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
            [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xFF], [0x80], [0xE2, 0x82], [0xE2, 0x82, 0x41], Array("abcdefgh".utf8) + [0xE2, 0x82, 0xAC],
        ]
        for bytes in cases { #expect(Self.agree(bytes), "\(bytes)") }
        #expect(UTF8Validation.isValid(Array("é€😀".utf8)))
        #expect(!UTF8Validation.isValid([0xED, 0xA0, 0x80]))
    }

    @Test func randomBytesAgree() {
        var generator = SystemRandomNumberGenerator()
        // Mostly bytes around the boundaries that matter, some ASCII runs.
        let interesting: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                    0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        var checked = 0
        for _ in 0..<200_000 {
            let length = Int.random(in: 0...12, using: &generator)
            let bytes = (0..<length).map { _ in
                Bool.random(using: &generator) ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            #expect(Self.agree(bytes), "\(bytes)")
            checked += 1
        }
        #expect(checked == 200_000)
    }
}
