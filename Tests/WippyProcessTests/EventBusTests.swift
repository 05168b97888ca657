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

    /// A process's subscriptions end with it: a script that spawns subscribers which exit
    /// leaves nothing behind, and an ended subscriber is not counted or sent to.
    @Test func subscriptionsEndWithTheirProcess() throws {
        let table = ProcessTable()
        let process = RecordingProcess(table.makePID(host: "app:host"))
        table.add(process)
        for _ in 0..<EventBus.maxPerProcess { _ = try table.events.subscribe(process.pid, pattern: "**", kind: nil) }
        #expect(table.events.publish(system: "a", kind: "k", path: "", data: .null, from: nil, via: table) == EventBus.maxPerProcess)
        table.exited(process.pid, outcome: .result(.null))
        #expect(table.events.publish(system: "a", kind: "k", path: "", data: .null, from: nil, via: table) == 0)
        // Its count went with it: the same PID could subscribe afresh (PIDs are not reused, but the slots are gone).
        #expect(try table.events.subscribe(process.pid, pattern: "**", kind: nil).hasPrefix("@events/"))
    }

    /// Matching stays cheap: long patterns and system names are refused.
    @Test func hugePatternsAndSystemsAreRefused() {
        let bus = EventBus(), pid = PID(host: "app:host", number: 1)
        #expect(throws: ProcessError.self) { try bus.subscribe(pid, pattern: String(repeating: "**.", count: 5_000) + "x", kind: nil) }
        #expect(throws: ProcessError.self) { try bus.subscribe(pid, pattern: String(repeating: "a", count: 300), kind: nil) }
        #expect(!EventBus.isValidSystem(String(repeating: "a.", count: 50_000)))
        #expect(!EventBus.isValidSystem(""))
        #expect(EventBus.isValidSystem("app.users.eu"))
    }
}
