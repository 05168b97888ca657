import Foundation
import Glibc
import Synchronization

/// The terminal of a `terminal.host`: the runtime's standard input, output and error, and the
/// arguments `wippy run -x` was given. The `io` module of its processes reads and writes it.
///
/// Writes go straight to the file descriptors (no buffer of ours, so `io.flush` has nothing to
/// wait for). Reads block, so they run on a thread of their own, never on a scheduler thread;
/// input read beyond a line waits in a buffer for the next read.
public final class Terminal: @unchecked Sendable {  // `pending` is confined to `reader`
    /// What `io.args()` gives.
    public let arguments: [String]
    private let reader = DispatchQueue(label: "wippy.terminal.stdin")
    private var pending: [UInt8] = []
    private var ended = false
    /// Reads waiting for their result, by number; ``interrupt()`` answers them all at once.
    private let waiting = Mutex<(next: Int, interrupted: Bool, readers: [Int: @Sendable (Bool) -> Void])>((0, false, [:]))
    /// `io.raw(true)` calls not yet matched by `io.raw(false)`, and the settings to go back to.
    private let raw = Mutex<(depth: Int, saved: termios?)>((0, nil))

    public init(arguments: [String] = []) {
        self.arguments = arguments
    }

    /// Writes all of `bytes` to `descriptor` (1: standard output, 2: standard error); false when
    /// the descriptor refuses them (closed, a full disk).
    public func write(_ bytes: some Collection<UInt8>, to descriptor: Int32) -> Bool {
        var bytes = Array(bytes)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            bytes = bytes.dropFirst(written)
        }
        return true
    }

    /// The next line of standard input without its line end; nil at the end of input. A line
    /// longer than `limit` bytes is an error (its first `limit` bytes are dropped), and so is
    /// a read the runtime's stop interrupted.
    public func readLine(limit: Int) async -> Result<String?, Failure> {
        await onReader(interrupted: .failure(Self.interrupted)) {
            while true {
                if let end = self.pending.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = self.pending[..<end]
                    self.pending.removeSubrange(...end)
                    if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                    return .success(String(decoding: line, as: UTF8.self))
                }
                if self.pending.count > limit {
                    self.pending.removeFirst(limit)
                    return .failure(Failure(message: "INTERNAL: the line is longer than \(limit) bytes"))
                }
                if self.ended || !self.fill() {
                    guard !self.pending.isEmpty else { return .success(nil) }
                    defer { self.pending.removeAll() }
                    return .success(String(decoding: self.pending, as: UTF8.self))
                }
            }
        }
    }

    /// Up to `count` bytes of standard input, as soon as any are there; nil at the end of input.
    public func read(upTo count: Int) async -> Result<[UInt8]?, Failure> {
        await onReader(interrupted: .failure(Self.interrupted)) {
            if self.pending.isEmpty, self.ended || !self.fill() { return .success(nil) }
            let taken = Array(self.pending.prefix(count))
            self.pending.removeFirst(taken.count)
            return .success(taken)
        }
    }

    static let interrupted = Failure(message: "CANCELED: the runtime is stopping")

    /// The runtime is stopping (Ctrl-C): reads waiting now, and those asked for from now on,
    /// end at once with an error, so that a command waiting for input can finish.
    public func interrupt() {
        let readers = waiting.withLock { state in
            state.interrupted = true
            defer { state.readers.removeAll() }
            return Array(state.readers.values)
        }
        for answer in readers { answer(true) }
    }

    /// Raw mode on (`depth` counted) or off; an error when standard input is not a terminal.
    public func setRaw(_ on: Bool) -> Failure? {
        guard isatty(0) == 1 else { return Failure(message: "standard input is not a terminal") }
        return raw.withLock { state -> Failure? in
            if on {
                if state.depth == 0 {
                    var settings = termios()
                    guard tcgetattr(0, &settings) == 0 else { return Failure(message: "cannot read the terminal's settings") }
                    state.saved = settings
                    cfmakeraw(&settings)
                    guard tcsetattr(0, TCSANOW, &settings) == 0 else { return Failure(message: "cannot set raw mode") }
                }
                state.depth += 1
            } else if state.depth > 0 {
                state.depth -= 1
                if state.depth == 0, var saved = state.saved { _ = tcsetattr(0, TCSANOW, &saved) }
            }
            return nil
        }
    }

    /// Leaves raw mode, however deep: when the process that asked for it ended.
    public func restore() {
        raw.withLock { state in
            if state.depth > 0, var saved = state.saved { _ = tcsetattr(0, TCSANOW, &saved) }
            state.depth = 0
        }
    }

    /// A read or write that failed, said in words.
    public struct Failure: Error, Sendable {
        public let message: String
    }

    /// Reads what standard input has (blocking); false at its end or on an error.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                ended = true
                return false
            }
            pending += chunk[..<count]
            return true
        }
    }

    /// Runs `work` on the reader's thread; `interrupted` when ``interrupt()`` comes first (the
    /// blocked read goes on, and what it reads waits in the buffer).
    private func onReader<T: Sendable>(interrupted: T, _ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let result = Mutex<T?>(nil)
            let answer: @Sendable (Bool) -> Void = { wasInterrupted in
                continuation.resume(returning: wasInterrupted ? interrupted : result.withLock { $0! })
            }
            let number = waiting.withLock { state -> Int? in
                guard !state.interrupted else { return nil }
                state.next += 1
                state.readers[state.next] = answer
                return state.next
            }
            guard let number else { return answer(true) }
            reader.async { [self] in
                let value = work()
                result.withLock { $0 = value }
                // Whoever takes the reader out of the table answers it: this read or interrupt().
                if waiting.withLock({ $0.readers.removeValue(forKey: number) }) != nil { answer(false) }
            }
        }
    }
}
