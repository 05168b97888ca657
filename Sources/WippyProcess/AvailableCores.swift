import Foundation
import Glibc

/// The CPU cores this OS process may run on: its affinity mask (`taskset`, a container's cpuset),
/// not every core of the machine. The default number of scheduler threads: two threads sharing
/// one allowed core only take turns, and wake each other for every message between them.
public enum AvailableCores {
    public static let count: Int = affinityCount() ?? ProcessInfo.processInfo.activeProcessorCount

    /// Bits set in the affinity mask; nil when it cannot be read. (`sched_getaffinity` is looked up
    /// at run time: Swift's Glibc module declares it only for GNU builds.)
    private static func affinityCount() -> Int? {
        typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
        guard let symbol = dlsym(nil, "sched_getaffinity") else { return nil }
        let getAffinity = unsafeBitCast(symbol, to: GetAffinity.self)
        var mask = [UInt8](repeating: 0, count: 128)  // 1,024 CPUs, glibc's cpu_set_t
        let status = mask.withUnsafeMutableBytes { getAffinity(0, $0.count, $0.baseAddress!) }
        guard status == 0 else { return nil }
        let cores = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        return cores > 0 ? cores : nil
    }
}
