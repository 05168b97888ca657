import Foundation

/// Commands run to their end by tests (curl, python clients, openssl), waited for on a thread of
/// their own: a test that blocked one of the few threads that run Swift tasks would slow every
/// other test and the server under test.
public enum Subprocess {
    /// Runs `arguments` (the first looked up on PATH, or a path) and returns its standard output.
    public static func output(_ arguments: [String]) async throws -> String {
        try await run(arguments).output
    }

    /// Runs `arguments` to its end: its exit status and standard output (standard error dropped).
    public static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(filePath: "/usr/bin/env")
                    process.arguments = arguments
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    process.standardError = FileHandle.nullDevice
                    try process.run()
                    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    process.waitUntilExit()
                    return (process.terminationStatus, output)
                })
            }.start()
        }
    }
}
