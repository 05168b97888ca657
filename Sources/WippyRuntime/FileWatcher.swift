#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Watches a folder tree for changes to manifests and Lua files with Linux inotify: one watch
/// per folder (hidden folders skipped), new folders watched as they appear.
///
/// Each relevant change is one element of ``changes``; bursts are left to the consumer to
/// debounce. A dedicated thread reads the inotify descriptor; ``stop()`` ends it.
public final class FileWatcher: Sendable {
    /// Something below the folder changed (a `.yaml`, `.yml` or `.lua` file, or a folder).
    public let changes: AsyncStream<Void>
    private let input: AsyncStream<Void>.Continuation
    private let descriptor: Int32
    private let folders = Mutex<[Int32: String]>([:])
    private let stopped = Atomic<Bool>(false)
    private let lastChangeNanoseconds = Atomic<UInt64>(0)

    /// When the latest relevant change was seen (monotonic clock, nanoseconds: `DispatchTime`).
    public var lastChange: UInt64 { lastChangeNanoseconds.load(ordering: .acquiring) }

    /// Files whose change matters.
    static func isRelevant(_ name: String) -> Bool {
        name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".lua")
    }

    private static let mask: UInt32 = UInt32(IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
        | IN_DELETE_SELF)

    public struct WatchError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(directory: String) throws(WatchError) {
        descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { throw WatchError(description: "cannot watch \(directory): inotify: \(String(cString: strerror(errno)))") }
        (changes, input) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        if let failure = watchTree(URL(filePath: directory).standardizedFileURL.path) {
            close(descriptor)
            throw WatchError(description: "cannot watch \(directory): \(failure)")
        }
        let thread = Thread { [self] in readEvents() }
        thread.name = "wippy-watch"
        thread.start()
    }

    /// Stops watching; ``changes`` ends.
    public func stop() {
        stopped.store(true, ordering: .releasing)
    }

    /// Adds a watch on `root` and every folder below it; the error text, if the root fails.
    @discardableResult
    private func watchTree(_ root: String) -> String? {
        let wd = inotify_add_watch(descriptor, root, Self.mask)
        guard wd >= 0 else { return String(cString: strerror(errno)) }
        folders.withLock { $0[wd] = root }
        let children = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for name in children where !name.hasPrefix(".") {
            let path = root + "/" + name
            // Real folders only: a symbolic link to a folder (maybe an ancestor) is not followed.
            if (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeDirectory {
                watchTree(path)
            }
        }
        return nil
    }

    private func readEvents() {
        defer {
            close(descriptor)
            input.finish()
        }
        let size = 64 << 10
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while !stopped.load(ordering: .acquiring) {
            guard poll(&poller, 1, 200) > 0 else { continue }
            let count = read(descriptor, buffer, size)
            guard count > 0 else { continue }
            var offset = 0
            var relevant = false
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                let nameStart = offset + MemoryLayout<inotify_event>.size
                var name = ""
                if event.len > 0 {
                    name = String(cString: buffer.advanced(by: nameStart).assumingMemoryBound(to: CChar.self))
                }
                offset = nameStart + Int(event.len)
                if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {  // events were lost: reload to be sure
                    relevant = true
                    continue
                }
                if event.mask & UInt32(IN_IGNORED) != 0 {
                    folders.withLock { _ = $0.removeValue(forKey: event.wd) }
                    continue
                }
                if name.hasPrefix(".") { continue }
                if event.mask & UInt32(IN_ISDIR) != 0 {
                    if event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, let parent = folders.withLock({ $0[event.wd] }) {
                        watchTree(parent + "/" + name)  // files already inside count as a change too
                    }
                    relevant = true
                } else if Self.isRelevant(name) || event.mask & UInt32(IN_DELETE_SELF) != 0 {
                    relevant = true
                }
            }
            if relevant {
                lastChangeNanoseconds.store(DispatchTime.now().uptimeNanoseconds, ordering: .releasing)
                input.yield(())
            }
        }
    }
}
