import Synchronization
import Testing
import WippyProcess

/// A process that only records what it is sent.
final class RecordingProcess: Process {
    let pid: PID
    let messages = Mutex<[Message]>([])
    let events = Mutex<[ProcessEvent]>([])
    let terminated = Mutex<String?>(nil)

    init(_ pid: PID) { self.pid = pid }
    func deliver(_ message: Message) -> Bool {
        messages.withLock { $0.append(message) }
        return true
    }
    func deliver(_ event: ProcessEvent) { events.withLock { $0.append(event) } }
    func terminate(reason: String) { terminated.withLock { $0 = reason } }
}

@Suite("Process table")
struct ProcessTableTests {
    static func spawn(_ table: ProcessTable) -> RecordingProcess {
        let process = RecordingProcess(table.makePID(host: "system:processes"))
        table.add(process)
        return process
    }

    @Test func pidsPrintAndParse() {
        let pid = PID(host: "system:processes", number: 10)
        #expect(pid.description == "{system:processes|0x0000a}")
        #expect(PID("{system:processes|0x0000a}") == pid)
        #expect(PID("{app:http|0x123456}")?.number == 0x123456)
        #expect(PID("system:processes|0x0a") == nil)
        #expect(PID("{|0x01}") == nil)
        #expect(PID("{host|12}") == nil)
    }

    @Test func sendByPIDAndByName() throws {
        let table = ProcessTable()
        let a = Self.spawn(table), b = Self.spawn(table)
        try table.send(to: b.pid.description, Message(from: a.pid, topic: "hi", payload: .int(1)))
        try table.register("bee", for: b.pid)
        try table.send(to: "bee", Message(from: a.pid, topic: "hi", payload: .int(2)))
        #expect(b.messages.withLock { $0.map(\.payload) } == [.int(1), .int(2)])
        #expect(throws: ProcessError.notFound("nobody")) { try table.send(to: "nobody", Message(from: nil, topic: "x", payload: .null)) }
    }

    @Test func namesAreExclusiveAndFreedOnExit() throws {
        let table = ProcessTable()
        let a = Self.spawn(table), b = Self.spawn(table)
        try table.register("hub", for: a.pid)
        try table.register("hub", for: a.pid)  // again, same process: fine
        #expect(throws: ProcessError.nameTaken("hub", by: a.pid)) { try table.register("hub", for: b.pid) }
        table.exited(a.pid, outcome: .result(.null))
        #expect(table.lookup("hub") == nil)
        try table.register("hub", for: b.pid)
        #expect(table.lookup("hub") == b.pid)
        #expect(throws: ProcessError.notFound(a.pid.description)) {
            try table.send(to: a.pid, Message(from: nil, topic: "x", payload: .null))
        }
    }

    @Test func monitorsGetExitAndLinksGetLinkDownOnFailureOnly() throws {
        let table = ProcessTable()
        let child = Self.spawn(table), watcher = Self.spawn(table), trapper = Self.spawn(table), plain = Self.spawn(table)
        try table.monitor(child.pid, by: watcher.pid)
        try table.link(child.pid, trapper.pid)
        try table.link(child.pid, plain.pid)
        table.setTrapLinks(trapper.pid, true)
        table.exited(child.pid, outcome: .failure("boom"))
        #expect(watcher.events.withLock { $0.map(\.kind) } == [.exit])
        #expect(watcher.events.withLock { $0.first?.outcome } == .failure("boom"))
        #expect(trapper.events.withLock { $0.map(\.kind) } == [.linkDown])
        #expect(plain.terminated.withLock { $0 }?.contains("failed: boom") == true)

        // A clean exit tells monitors, not links.
        let second = Self.spawn(table), peer = Self.spawn(table)
        try table.monitor(second.pid, by: watcher.pid)
        try table.link(second.pid, peer.pid)
        table.exited(second.pid, outcome: .result(.string("ok")))
        #expect(watcher.events.withLock { $0.count } == 2)
        #expect(peer.events.withLock { $0.isEmpty })
        #expect(peer.terminated.withLock { $0 } == nil)
    }
}

@Suite("PID text")
struct PIDTextTests {
    @Test func parsedPIDsPrintCanonically() {
        #expect(PID("{h|0x1}")?.description == "{h|0x00001}")
        #expect(PID("{h|0x0000A}")?.description == "{h|0x0000a}")
        #expect(PID("{h|0x000001}")?.description == "{h|0x00001}")
        #expect(PID("{h|0x123456}")?.description == "{h|0x123456}")
        #expect(PID("{h|0x1}") == PID(host: "h", number: 1))
        #expect(PID("{h|0x1}") != PID(host: "g", number: 1))
        #expect(PID("{h|0x}") == nil)
        #expect(PID("{h|0xg1}") == nil)
        #expect(PID("{h|1x01}") == nil)
    }
}

/// PIDs of cluster nodes: `{node@host|0x…}`.
@Suite("PIDs with a node")
struct NodePIDTests {
    @Test func aNodeIsPartOfThePID() throws {
        let pid = try #require(PID("{n1@app:gateway|0x0000c}"))
        #expect(pid.node == "n1" && pid.host == "app:gateway" && pid.number == 12)
        #expect(pid.description == "{n1@app:gateway|0x0000c}")
        #expect(PID(node: "n1", host: "app:gateway", number: 12) == pid)
        #expect(PID(host: "app:gateway", number: 12) != pid, "the same number on another node is another process")
        #expect(PID(node: "n1", host: "h", number: 0x1_0000_0001).description == "{n1@h|0x100000001}")
    }

    @Test func localMeansNoNodeAndMalformedNodesAreRefused() {
        #expect(PID("{local@app:x|0x00001}") == PID(host: "app:x", number: 1))
        #expect(PID("{local@app:x|0x00001}")?.description == "{app:x|0x00001}")
        #expect(PID("{@app:x|0x00001}") == nil)
        #expect(PID("{n1@|0x00001}") == nil)
    }

    @Test func aTableInAClusterMakesPIDsOfItsNode() {
        let table = ProcessTable(node: "n7")
        #expect(table.makePID(host: "h").description == "{n7@h|0x00001}")
        #expect(!table.isRemote(PID(node: "n8", host: "h", number: 1)), "without a cluster attached nothing is remote")
    }
}
