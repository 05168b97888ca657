import Foundation
import Synchronization

/// A progress line on standard error while a large app loads: nothing during the first second
/// (most apps load faster), then `loading manifests: N of M files` at most twice a second,
/// rewritten in place on a terminal, and a last line when all are read.
final class LoadProgress: Sendable {
    private let started = ContinuousClock.now
    private let shown = Mutex<(last: ContinuousClock.Instant?, finished: Bool)>((nil, false))
    private let terminal = isatty(2) == 1

    /// Called from the loading threads after each file.
    func report(loaded: Int, files: Int) {
        let now = ContinuousClock.now
        guard now - started >= .seconds(1) else { return }
        shown.withLock { shown in
            let last = loaded == files
            guard !shown.finished, last || shown.last.map({ now - $0 >= .milliseconds(500) }) ?? true else { return }
            shown = (now, last)
            let end = last ? "\n" : (terminal ? "\r" : "\n")
            FileHandle.standardError.write(Data("loading manifests: \(loaded) of \(files) files\(end)".utf8))
        }
    }
}
