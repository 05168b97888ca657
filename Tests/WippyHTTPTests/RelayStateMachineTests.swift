import NIOCore
import Testing
@testable import WippyHTTP

/// The relay's closing handshake, keep-alive and back-pressure, without a socket. (`#expect`
/// cannot call a mutating method, hence the `let`s.)
@Suite("Relay state machine")
struct RelayStateMachineTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func machine(heartbeat: Duration = .seconds(10)) -> RelayStateMachine {
        RelayStateMachine(now: start, heartbeat: heartbeat, pingInterval: .seconds(30), closeTimeout: .seconds(5))
    }

    static func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test func aClientCloseIsAnsweredOnceThenNothingIsRead() {
        var machine = Self.machine()
        #expect(machine.isOpen && machine.readsFrames)
        let answer = machine.clientClosed()
        #expect(answer == .answerThenClose)
        #expect(!machine.isOpen && !machine.readsFrames)
        let second = machine.startClose(now: Self.at(1), closeAtOnce: false)
        #expect(second == nil)  // no second close frame
        let due = machine.timerFired(now: Self.at(100))
        #expect(due.isEmpty)  // no heartbeat or ping once closing
    }

    @Test func ourCloseWaitsForTheAnswerUntilTheDeadline() {
        var machine = Self.machine()
        let start = machine.startClose(now: Self.at(2), closeAtOnce: false)
        #expect(start == .sendAndWait)
        #expect(!machine.isOpen && machine.readsFrames)  // the client's answer is still read
        #expect(machine.nextDeadline == Self.at(7))
        let again = machine.startClose(now: Self.at(3), closeAtOnce: true)
        #expect(again == nil)
        let early = machine.timerFired(now: Self.at(6))
        #expect(early.isEmpty)
        let due = machine.timerFired(now: Self.at(7))
        #expect(due == [.closeSocket])
    }

    @Test func theAnswerToOurCloseClosesTheSocket() {
        var machine = Self.machine()
        _ = machine.startClose(now: Self.at(0), closeAtOnce: false)
        let answer = machine.clientClosed()
        #expect(answer == .close)
        #expect(!machine.readsFrames)
    }

    @Test func aCloseAtOnceSendsOneFrameThenTheSocketCloses() {
        var machine = Self.machine()
        let start = machine.startClose(now: Self.at(0), closeAtOnce: true)
        #expect(start == .sendThenClose)
        #expect(!machine.isOpen && !machine.readsFrames)
        let again = machine.startClose(now: Self.at(1), closeAtOnce: false)
        #expect(again == nil)
    }

    @Test func aProtocolErrorSendsOneCloseAndStopsReading() {
        var machine = Self.machine()
        let first = machine.clientFailed()
        #expect(first)
        #expect(!machine.readsFrames && !machine.isOpen)
        let second = machine.clientFailed()
        #expect(!second)
        let close = machine.startClose(now: Self.at(1), closeAtOnce: true)
        #expect(close == nil)

        // After our own close, an error sends nothing more; the close deadline still cuts the socket.
        var waiting = Self.machine()
        _ = waiting.startClose(now: Self.at(0), closeAtOnce: false)
        let failed = waiting.clientFailed()
        #expect(!failed)
        let due = waiting.timerFired(now: Self.at(5))
        #expect(due == [.closeSocket])
    }

    @Test func heartbeatsAndPingsComeOnTimeAndAnUnansweredPingCloses() {
        var machine = Self.machine(heartbeat: .seconds(10))
        #expect(machine.nextDeadline == Self.at(10))
        var due = machine.timerFired(now: Self.at(9))
        #expect(due.isEmpty)
        due = machine.timerFired(now: Self.at(10))
        #expect(due == [.heartbeat])
        due = machine.timerFired(now: Self.at(20))
        #expect(due == [.heartbeat])
        due = machine.timerFired(now: Self.at(30))
        #expect(due == [.heartbeat, .ping])
        #expect(machine.nextDeadline == Self.at(40))
        machine.pongReceived()
        due = machine.timerFired(now: Self.at(60))
        #expect(due == [.heartbeat, .ping])
        // No pong to that ping by the next one: the client is gone.
        due = machine.timerFired(now: Self.at(90))
        #expect(due == [.heartbeat, .pingUnanswered])
    }

    @Test func aNewHeartbeatIntervalCountsFromNowAndNotWhileClosing() {
        var machine = Self.machine(heartbeat: .seconds(10))
        let changed = machine.heartbeatChanged(to: .seconds(3), now: Self.at(5))
        #expect(changed)
        #expect(machine.nextDeadline == Self.at(8))
        let due = machine.timerFired(now: Self.at(8))
        #expect(due == [.heartbeat])
        #expect(machine.nextDeadline == Self.at(11))
        _ = machine.startClose(now: Self.at(9), closeAtOnce: false)
        let ignored = machine.heartbeatChanged(to: .seconds(1), now: Self.at(9))
        #expect(!ignored)
        #expect(machine.nextDeadline == Self.at(14))  // the close deadline
    }

    @Test func aReadWaitsWhilePausedAndGoesOnOnResume() {
        var machine = Self.machine()
        var goes = machine.read()
        #expect(goes)
        goes = machine.resume()
        #expect(!goes)  // nothing waited
        machine.pause()
        goes = machine.read()
        #expect(!goes)
        goes = machine.read()
        #expect(!goes)
        goes = machine.resume()
        #expect(goes)  // one read for those that waited
        goes = machine.resume()
        #expect(!goes)
        goes = machine.read()
        #expect(goes)
    }
}
