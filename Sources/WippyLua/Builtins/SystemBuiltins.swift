import CLua
import Foundation
import Glibc
import WippyProcess

/// `system`: what a Lua process may know of the runtime it runs in (memory, processes, hosts,
/// services, the OS process). Nothing here changes the runtime: `exit`, `memory.set_limit` and
/// `gc.set_percent` are refused, and `gc.collect` collects only the calling thread's state.
extension Builtins {
    static let system: [(String, Builtin)] = [("system", systemQuery), ("system_gc", systemCollect)]

    /// `system(query[, argument])` → the answer | `nil, message`.
    static let systemQuery: Builtin = { L in
        let L = L!, process = owner(L)
        guard let query = string(L, 1) else { return failure(L, "INVALID: system: no query") }
        let argument = string(L, 2)
        let answer: Result<Payload, CallError>
        switch query {
        case "memory.stats": answer = .success(memoryStatistics(L))
        case "memory.allocated": answer = .success(.int(Int64(wippy_heap().in_use)))
        case "memory.heap_objects": answer = .success(.int(Int64(wippy_heap().chunks)))
        case "memory.get_limit": answer = .success(.int(Int64(process.context.memoryLimit)))
        case "runtime.cpu_count": answer = .success(.int(Int64(ProcessInfo.processInfo.activeProcessorCount)))
        case "runtime.max_procs": answer = .success(.int(Int64(AvailableCores.count)))
        case "process.pid": answer = .success(.int(Int64(getpid())))
        case "process.hostname": answer = .success(.string(ProcessInfo.processInfo.hostName))
        case "process.cwd": answer = .success(.string(FileManager.default.currentDirectoryPath))
        default: answer = process.context.services.system(query, argument: argument)
        }
        switch answer {
        case let .success(value):
            push(value, L)
            return 1
        case let .failure(error): return failure(L, error.message)
        }
    }

    /// `system_gc()` → `true`: a full collection of the calling thread's Lua state.
    static let systemCollect: Builtin = { L in
        let L = L!
        _ = wippy_gc_collect(L)
        return ok(L)
    }

    /// Memory as Wippy's `system.memory.stats()` names it, from what this runtime has: malloc's
    /// counts for the heap, the resident set for `sys`, and the calling thread's Lua state.
    private static func memoryStatistics(_ L: OpaquePointer) -> Payload {
        let heap = wippy_heap()
        let inUse = Int64(heap.in_use), obtained = Int64(heap.obtained)
        return .object([
            ("alloc", .int(inUse)), ("heap_alloc", .int(inUse)), ("heap_in_use", .int(inUse)),
            ("heap_sys", .int(obtained)), ("heap_idle", .int(Int64(heap.free))), ("heap_objects", .int(Int64(heap.chunks))),
            ("heap_released", .int(Int64(heap.releasable))), ("sys", .int(residentBytes())),
            ("lua_state", .int(Int64(wippy_memory_bytes(L)))),
        ])
    }

    /// The resident set of the runtime's OS process (bytes), from /proc/self/statm.
    private static func residentBytes() -> Int64 {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int64($0) }) else { return 0 }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
