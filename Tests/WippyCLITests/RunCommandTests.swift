import Foundation
import Synchronization
import Testing
import WippyTestSupport

/// `wippy run` as a user starts and stops it.
@Suite("wippy run")
struct RunCommandTests {
    /// A running `wippy` whose standard error is collected as it comes.
    final class Running: Sendable {
        let process = Process()
        private let output = TextBuffer()

        final class TextBuffer: Sendable {
            let text = Mutex("")
        }

        /// - Parameter withOutput: collect standard output too (a `-x` command's `io.print`).
        init(_ arguments: [String], withOutput: Bool = false) throws {
            process.executableURL = CLITests.binary
            process.arguments = arguments
            process.currentDirectoryURL = CLITests.repository
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = withOutput ? pipe : FileHandle.nullDevice
            pipe.fileHandleForReading.readabilityHandler = { [output] handle in
                let data = handle.availableData
                output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
            try process.run()
        }

        var stderr: String { output.text.withLock { $0 } }

        /// Waits until standard error contains `text`; false after `timeout`.
        func wait(for text: String, timeout: Duration = .seconds(60)) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while !stderr.contains(text) {
                guard ContinuousClock.now < deadline, process.isRunning else { return stderr.contains(text) }
                try await Task.sleep(for: .milliseconds(20))
            }
            return true
        }

        struct NoPort: Error, CustomStringConvertible {
            let description: String
        }

        /// The port printed after the first `marker` in standard error, once that line is complete
        /// (e.g. "system:http listening on 127.0.0.1:PORT").
        func port(after marker: String = "listening on 127.0.0.1:", timeout: Duration = .seconds(120)) async throws -> Int {
            let deadline = ContinuousClock.now + timeout
            while true {
                let text = stderr
                if let start = text.range(of: marker)?.upperBound, let end = text[start...].firstIndex(of: "\n"),
                   let port = Int(text[start..<end].prefix { $0.isNumber }) {
                    return port
                }
                guard ContinuousClock.now < deadline, process.isRunning else {
                    throw NoPort(description: "no \"\(marker)PORT\" line in: \(text.suffix(2000))")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        /// Waits for the process to exit; its status, or nil after `timeout`.
        func exit(timeout: Duration = .seconds(60)) async throws -> Int32? {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning {
                guard ContinuousClock.now < deadline else {
                    process.terminate()
                    return nil
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            return process.terminationStatus
        }
    }

    @Test func seedHubStartsAndStopsOnCtrlC() async throws {
        let wippy = try Running(["run", "apps/"])
        #expect(try await wippy.wait(for: "WebSocket hub started with PID:"))
        let log = wippy.stderr
        // The hub prints its own PID: a process of the built-in system:processes host.
        #expect(log.contains("[app.websocket.myapp:ws_hub.process {system:processes|0x"))
        kill(wippy.process.processIdentifier, SIGINT)
        let started = ContinuousClock.now
        let status = try await wippy.exit()
        let took = ContinuousClock.now - started
        #expect(status == 0, "\(wippy.stderr)")
        // Well below the hub's stop_timeout (10 s): it returned on CANCEL, it was not terminated.
        #expect(!wippy.stderr.contains("did not return within stop_timeout"), "graceful stop took \(took)")
        #expect(wippy.stderr.contains(#"service app.websocket.myapp:ws_hub.service stopped: returned {"clients":0,"status":"shutdown"}"#))
        #expect(wippy.stderr.contains("info stopped"))
    }

    @Test func sigtermStopsGracefullyToo() async throws {
        let wippy = try Running(["run", "Tests/Fixtures/lua/order", "--log-format", "json"])
        #expect(try await wippy.wait(for: "started 4 service(s)"))
        kill(wippy.process.processIdentifier, SIGTERM)
        #expect(try await wippy.exit() == 0)
        let lines = wippy.stderr.split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") }, "not all JSON: \(lines.prefix(3))")
        #expect(wippy.stderr.contains(#"order:db.service stopped: returned"#))
    }

    @Test func invalidAppIsRefusedWithTheValidateMessages() throws {
        let validate = try CLITests.wippy("validate", "Tests/Fixtures/invalid/cycle")
        let run = try CLITests.wippy("run", "Tests/Fixtures/invalid/cycle")
        #expect(run.status == 1)
        #expect(run.stderr == validate.stderr)
        #expect(run.stderr.contains("dependency cycle"))
    }

    @Test func executeRunsOneEntryWithArguments() throws {
        let result = try CLITests.wippy("run", "Tests/Fixtures/lua/processes", "-x", "test:echo_args", "a", "b")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "[\"a\",\"b\"]\n")
    }

    /// `-x` takes a bare name when one entry has it; an integer result is the exit status and
    /// prints nothing.
    @Test func executeReturnsTheIntegerAsExitStatus() throws {
        let three = try CLITests.wippy("run", "Tests/Fixtures/lua/processes", "-x", "exit_code", "3")
        #expect(three.status == 3, "\(three.stderr)")
        #expect(three.stdout.isEmpty)
        let zero = try CLITests.wippy("run", "Tests/Fixtures/lua/processes", "-x", "test:exit_code", "0")
        #expect(zero.status == 0 && zero.stdout.isEmpty, "\(zero.stderr)")
        let wrapped = try CLITests.wippy("run", "Tests/Fixtures/lua/processes", "-x", "exit_code", "257")
        #expect(wrapped.status == 1)  // the OS keeps the low 8 bits
        let unknown = try CLITests.wippy("run", "Tests/Fixtures/lua/processes", "-x", "nosuch")
        #expect(unknown.status == 1 && unknown.stderr.contains("-x nosuch: no process.lua entry of the app is called nosuch"))
    }

    @Test func anAmbiguousBareNameAsksForTheID() throws {
        try InitCommandTests.withProject { project in
            for namespace in ["one", "two"] {
                let manifest = InitCommandTests.manifest.replacingOccurrences(of: "namespace: app", with: "namespace: \(namespace)")
                    .replacingOccurrences(of: "function.lua", with: "process.lua")
                try InitCommandTests.write(manifest, to: project.appending(path: "\(namespace)/_index.yaml"))
            }
            let result = try CLITests.wippy("run", ".", "-x", "hello", in: project)
            #expect(result.status == 1)
            #expect(result.stderr.contains("-x hello: several entries are called hello (one:hello, two:hello); give the full ID"), "\(result.stderr)")
            #expect(try CLITests.wippy("run", ".", "-x", "two:hello", in: project).status == 1)  // returns 1
        }
    }

    /// A logger call's fields are printed as fields, the line keeps its process's tags.
    @Test func logFieldsNeverReplaceTheLinesTags() throws {
        let text = try CLITests.wippy("run", "Tests/Fixtures/lua/processes", "-x", "logs_fields", "--log-level", "info")
        #expect(text.status == 0, "\(text.stderr)")
        let line = try #require(text.stderr.split(separator: "\n").first { $0.contains(" hello") })
        #expect(line.contains("info [test:logs_fields {system:processes|0x") && line.hasSuffix("] hello entry=x n=1 pid=y"), "\(line)")
        let json = try CLITests.wippy("run", "Tests/Fixtures/lua/processes", "-x", "logs_fields", "--log-format", "json")
        let object = try #require(json.stderr.split(separator: "\n").first { $0.contains(#""message":"hello""#) })
        #expect(object.contains(#""entry":"test:logs_fields""#) && object.contains(#""fields":{"entry":"x","n":"1","pid":"y"}"#), "\(object)")
    }

    /// The app's services run first: the entry talks to one; they stop after it. Log lines are
    /// silenced unless a log flag asks for them.
    @Test func executeFindsTheAppsServicesRunning() throws {
        let result = try CLITests.wippy("run", "Tests/Fixtures/cli/with-service", "-x", "ask")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "{\"a\":1,\"b\":2}\n")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        let logged = try CLITests.wippy("run", "Tests/Fixtures/cli/with-service", "-x", "ask", "--log-level", "info")
        #expect(logged.stdout == "{\"a\":1,\"b\":2}\n")
        #expect(logged.stderr.contains(#"service cli:counter.service stopped: returned "stopped""#))
    }

    @Test func executeReportsAFailure() throws {
        let result = try CLITests.wippy("run", "Tests/Fixtures/lua/processes", "-x", "test:returns_error")
        #expect(result.status == 1)
        #expect(result.stderr.contains("test:returns_error failed: it went wrong"))
    }
}

extension RunCommandTests {
    @Test func badListenAddressIsRefusedBeforeStarting() throws {
        let result = try CLITests.wippy("run", "apps/", "--addr", "nonsense")
        #expect(result.status != 0)
        #expect(result.stderr.contains("--addr: bad listen address \"nonsense\""))
        #expect(!result.stderr.contains("started"))
    }
}

extension RunCommandTests {
    /// A port that is taken ends the run with exit status 1 and a message naming server and address.
    @Test func takenPortEndsTheRunWithAClearError() async throws {
        let blocker = try Running(["run", "apps/", "--addr", "127.0.0.1:0"])  // any listener will do: find its port
        defer { blocker.process.terminate() }
        #expect(try await blocker.wait(for: "listening on 127.0.0.1:"))
        let port = try #require(blocker.stderr.split(separator: "listening on 127.0.0.1:").last?.prefix { $0.isNumber })
        let second = try Running(["run", "apps/", "--addr", "127.0.0.1:\(port)"])
        #expect(try await second.exit() == 1)
        #expect(second.stderr.contains("system:http cannot listen on 127.0.0.1:\(port)"))
    }
}

extension RunCommandTests {
    /// A connection that never sent a byte (a browser's speculative one) closes when the server
    /// stops instead of holding the stop until its idle timeout (60 s by default).
    @Test func aConnectionThatNeverSpokeDoesNotHoldTheStop() async throws {
        let wippy = try Running(["run", "apps/", "--addr", "127.0.0.1:0"])
        defer { wippy.process.terminate() }
        #expect(try await wippy.wait(for: "listening on 127.0.0.1:"))
        let port = try #require(wippy.stderr.split(separator: "listening on 127.0.0.1:").last.flatMap { UInt16($0.prefix { $0.isNumber }) })
        let silent = try LoopbackSocket.connect(port: port)
        defer { close(silent) }
        kill(wippy.process.processIdentifier, SIGINT)
        let started = ContinuousClock.now
        #expect(try await wippy.exit() == 0)
        let took = ContinuousClock.now - started
        #expect(took < .seconds(30), "the stop waited \(took) for a connection that never sent a request")
        var byte: UInt8 = 0
        #expect(read(silent, &byte, 1) == 0)  // closed by the server, nothing sent
    }
}
