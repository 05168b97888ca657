import Testing
import WippyProcess

@Suite("Event bus")
struct EventBusTests {
    @Test(arguments: [
        ("app.users", "app.users", true), ("app.users", "app.orders", false), ("app.*", "app.users", true),
        ("app.*", "app", false), ("app.*", "app.users.eu", false), ("app.**", "app", true), ("app.**", "app.a.b.c", true),
        ("**", "anything.at.all", true), ("**.created", "a.b.created", true), ("a.**.z", "a.z", true), ("a.**.z", "a.b.c.z", true),
        ("a.**.z", "a.b.c", false), ("app.(users|orders)", "app.orders", true), ("app.(users|orders)", "app.carts", false),
    ])
    func patternsMatchLikeWippys(pattern: String, system: String, expected: Bool) throws {
        let parsed = try #require(SystemPattern(pattern))
        #expect(parsed.matches(system) == expected, "\(pattern) ~ \(system)")
    }

    @Test(arguments: ["", "a..b", ".a", "a.", "a.(b|)", "a*b", "(a|b"])
    func badPatternsAreRefused(pattern: String) {
        #expect(SystemPattern(pattern) == nil)
    }

    @Test func aProcessHoldsABoundedNumberOfSubscriptions() throws {
        let bus = EventBus(), pid = PID(host: "app:host", number: 1)
        for _ in 0..<EventBus.maxPerProcess { _ = try bus.subscribe(pid, pattern: "**", kind: nil) }
        #expect(throws: ProcessError.self) { try bus.subscribe(pid, pattern: "**", kind: nil) }
        #expect(try bus.subscribe(PID(host: "app:host", number: 2), pattern: "**", kind: nil).hasPrefix("@events/"))
    }
}
