import NIOCore

/// The state of one relayed connection's socket side as a plain value: the closing handshake,
/// the keep-alive (pings and the target's heartbeats) and the read back-pressure. The
/// ``RelayChannelHandler`` tells it what happened and carries out what it answers; it does no
/// I/O, so every transition is tested without a socket.
struct RelayStateMachine {
    /// Where the closing handshake stands.
    enum Handshake: Equatable {
        /// Frames flow both ways.
        case open
        /// We sent a close and wait for the client's, until ``closeDeadline``.
        case closeSent
        /// The client's close arrived or it broke the protocol: nothing more is read, and the
        /// socket closes once what is written is out.
        case closing
    }

    private(set) var handshake = Handshake.open
    /// When a close we sent stops waiting for the client's answer.
    private(set) var closeDeadline = NIODeadline.distantFuture
    private(set) var nextHeartbeat: NIODeadline
    private(set) var nextPing: NIODeadline
    private var heartbeat: Duration
    private let pingInterval: Duration
    private let closeTimeout: Duration
    private var awaitingPong = false
    /// Reading stopped until the target catches up; a read asked for meanwhile waits.
    private var paused = false
    private var readPending = false

    init(now: NIODeadline, heartbeat: Duration, pingInterval: Duration, closeTimeout: Duration) {
        self.heartbeat = heartbeat
        self.pingInterval = pingInterval
        self.closeTimeout = closeTimeout
        nextHeartbeat = now + .init(heartbeat)
        nextPing = now + .init(pingInterval)
    }

    /// The next time ``timerFired(now:)`` has something to do.
    var nextDeadline: NIODeadline {
        handshake == .open ? min(nextHeartbeat, nextPing) : closeDeadline
    }

    // MARK: - From the client

    /// Whether a frame from the client is read at all (not after its close or a protocol error).
    var readsFrames: Bool { handshake != .closing }

    /// Whether a message from the client goes to the target, and a ping gets its pong (not once
    /// we are closing).
    var isOpen: Bool { handshake == .open }

    enum ClientCloseAction: Equatable {
        /// Answer with a close frame (the client's code), then close the socket.
        case answerThenClose
        /// Our close was answered: close the socket.
        case close
    }

    /// The client sent a close frame.
    mutating func clientClosed() -> ClientCloseAction {
        switch handshake {
        case .open:
            handshake = .closing
            return .answerThenClose
        case .closeSent, .closing:
            handshake = .closing
            return .close
        }
    }

    /// The client broke the protocol; true when our close (then the socket's) is still to send.
    mutating func clientFailed() -> Bool {
        defer { handshake = .closing }
        return handshake == .open
    }

    mutating func pongReceived() {
        awaitingPong = false
    }

    // MARK: - Toward the client

    enum CloseStart: Equatable {
        /// Send the close frame and close the socket once it is written.
        case sendThenClose
        /// Send the close frame and wait for the client's answer until ``closeDeadline``.
        case sendAndWait
    }

    /// We close (the target asked, it ended, the client is too slow or silent): what to do, or
    /// nil when a close was sent already.
    mutating func startClose(now: NIODeadline, closeAtOnce: Bool) -> CloseStart? {
        switch handshake {
        case .open:
            if closeAtOnce {
                handshake = .closing
                return .sendThenClose
            }
            handshake = .closeSent
            closeDeadline = now + .init(closeTimeout)
            return .sendAndWait
        case .closeSent, .closing:
            return nil
        }
    }

    // MARK: - Timers

    /// `ws.control` changed the heartbeat interval; false when the connection is closing (ignored).
    mutating func heartbeatChanged(to interval: Duration, now: NIODeadline) -> Bool {
        guard handshake == .open else { return false }
        heartbeat = interval
        nextHeartbeat = now + .init(interval)
        return true
    }

    enum TimerAction: Equatable {
        /// Our close was never answered: cut the socket.
        case closeSocket
        /// Send the target `ws.heartbeat`.
        case heartbeat
        case ping
        /// The last ping was never answered: close (1001).
        case pingUnanswered
    }

    /// The timer fired at `now`: what is due, in order.
    mutating func timerFired(now: NIODeadline) -> [TimerAction] {
        switch handshake {
        case .closeSent, .closing:
            return now >= closeDeadline ? [.closeSocket] : []
        case .open:
            var actions: [TimerAction] = []
            if now >= nextHeartbeat {
                actions.append(.heartbeat)
                nextHeartbeat = now + .init(heartbeat)
            }
            if now >= nextPing {
                if awaitingPong { return actions + [.pingUnanswered] }
                awaitingPong = true
                actions.append(.ping)
                nextPing = now + .init(pingInterval)
            }
            return actions
        }
    }

    // MARK: - Back-pressure

    /// The target fell behind: reads wait until ``resume()``.
    mutating func pause() {
        paused = true
    }

    /// The channel asks for a read: whether it goes ahead now.
    mutating func read() -> Bool {
        if paused { readPending = true }
        return !paused
    }

    /// The target caught up: whether a read that waited goes ahead now.
    mutating func resume() -> Bool {
        paused = false
        defer { readPending = false }
        return readPending
    }
}
