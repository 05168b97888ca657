import Glibc

/// A scheduler thread's timers: wait timeouts, the ticks of `time` channels and the time limits
/// of function calls, ordered by deadline (a binary heap). Confined to its thread. An entry whose
/// process moved on (it was woken otherwise, stopped the timer, or ended) is skipped when due;
/// when the heap has doubled since it was last cleaned, such stale entries are dropped at once, so
/// code that starts and stops long timers in a loop (or calls that end long before their time
/// limit) cannot grow it without bound.
struct TimerQueue {
    enum Kind {
        /// Ends the process's wait number `sequence`, if it still waits in it.
        case wakeup(LuaProcess, sequence: Int)
        /// Fires timer `id` of the process, if it still has that timer at that generation.
        case tick(LuaProcess, id: Int, generation: Int, interval: UInt64, repeating: Bool)
        /// Terminates the function call, if it still runs: its time is up.
        case timeLimit(LuaProcess)
    }

    struct Entry {
        var deadline: UInt64
        var order: UInt64
        var kind: Kind

        func precedes(_ other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : order < other.order
        }
    }

    /// Whether entry `a` of `heap` is due before entry `b`. Compares in place: copying entries
    /// to compare them retained and released their process each time, which was most of the
    /// cost of firing thousands of tickers.
    private static func precedes(_ heap: UnsafeMutableBufferPointer<Entry>, _ a: Int, _ b: Int) -> Bool {
        let x = heap.baseAddress! + a, y = heap.baseAddress! + b
        return x.pointee.deadline != y.pointee.deadline ? x.pointee.deadline < y.pointee.deadline
            : x.pointee.order < y.pointee.order
    }

    private var heap: [Entry] = []
    private var added: UInt64 = 0
    /// Entries left after the last clean-up (at least 1,024, so small heaps are never cleaned).
    private var cleanedAt = 1024

    /// The monotonic clock the deadlines use, in nanoseconds.
    static var now: UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    var nextDeadline: UInt64? { heap.first?.deadline }
    var isEmpty: Bool { heap.isEmpty }

    mutating func add(at deadline: UInt64, _ kind: Kind) {
        if heap.count >= 2 * cleanedAt { dropStale() }
        added += 1
        heap.append(Entry(deadline: deadline, order: added, kind: kind))
        heap.withUnsafeMutableBufferPointer { heap in
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.precedes(heap, child, parent) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }
    }

    /// Whether the entry still means something to its process.
    static func isLive(_ kind: Kind) -> Bool {
        switch kind {
        case let .wakeup(process, sequence): return process.waitSequence == sequence
        case let .tick(process, id, generation, _, _): return process.timers[id] == generation
        case let .timeLimit(process): return process.coroutine != nil
        }
    }

    private mutating func dropStale() {
        heap.removeAll { !Self.isLive($0.kind) }
        heap.sort { $0.precedes($1) }  // a sorted array is a valid heap
        cleanedAt = max(1024, heap.count)
    }

    /// The earliest entry due at `now`, removed; nil when none is due.
    mutating func popDue(_ now: UInt64) -> Entry? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        heap.withUnsafeMutableBufferPointer { heap in
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, Self.precedes(heap, left, smallest) { smallest = left }
                if right < heap.count, Self.precedes(heap, right, smallest) { smallest = right }
                guard smallest != parent else { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
