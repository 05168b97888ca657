import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Apps in the shapes of Wippy's published examples (our own code and text, in
/// Tests/Fixtures/examples/NAME/project), run as a user runs an example: copied to a fresh folder,
/// `wippy init`, then `wippy run -x ENTRY` (its standard output checked line by line) or `wippy
/// run` with the requests and log lines of NAME/run.json, stopped with SIGINT.
/// One app at a time: twenty runtimes started at once (each a fresh process of a large binary)
/// made a burst that starved the timing-sensitive tests running beside them.
@Suite("Apps shaped like Wippy's examples", .serialized)
struct ExampleShapeTests {
    static let fixtures = CLITests.repository.appending(path: "Tests/Fixtures/examples")
    static let shapes: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []).sorted()

    @Test func everyShapeHasAFixture() {
        #expect(Self.shapes.count >= 19, "\(Self.shapes)")
    }

    @Test(arguments: shapes)
    func runsAsItsReadmeSays(_ name: String) async throws {
        let folder = Self.fixtures.appending(path: name)
        let spec = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appending(path: "run.json"))) as? [String: Any])
        let project = FileManager.default.temporaryDirectory.appending(path: "wippy-example-\(name)-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: folder.appending(path: "project"), to: project)
        defer { try? FileManager.default.removeItem(at: project) }
        let initialized = try CLITests.wippy("init", in: project)
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let environment = spec["env"] as? [String: String] ?? [:]
        switch spec["mode"] as? String {
        case "execute": try await Self.execute(spec, in: project, environment: environment)
        case "serve": try await Self.serve(spec, in: project, environment: environment)
        default: Issue.record("\(name)/run.json: mode is neither execute nor serve")
        }
    }

    /// `wippy run -x ENTRY ARGS…` with `stdin`: the exit status, and every line of standard output.
    static func execute(_ spec: [String: Any], in project: URL, environment: [String: String]) async throws {
        let entry = try #require(spec["entry"] as? String)
        let arguments = ["run", "-x", entry] + (spec["args"] as? [String] ?? [])
        let run = try Command.start(arguments, in: project, environment: environment, input: spec["stdin"] as? String)
        let status = await run.wait(for: .seconds(60))
        let lines = run.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let output = lines.last == "" ? Array(lines.dropLast()) : lines
        #expect(status == Int32(spec["exit"] as? Int ?? 0), "stderr: \(run.standardError)")
        let expected = spec["stdout"] as? [String] ?? []
        #expect(output.count == expected.count, "got:\n\(run.standardOutput)")
        for (line, pattern) in zip(output, expected) {
            #expect(matches(pattern, line, whole: true), "\(line) does not match \(pattern); got:\n\(run.standardOutput)")
        }
    }

    /// `wippy run`: each step in order (a log line to wait for, or a request to make), then
    /// SIGINT, which must stop it cleanly; `after_stop` lists log lines the stop waited for.
    static func serve(_ spec: [String: Any], in project: URL, environment: [String: String]) async throws {
        let run = try Command.start(["run"], in: project, environment: environment, input: nil)
        defer { run.kill() }
        var ports: [String: Int] = [:]  // the app's listener, and "metrics" (its scrape endpoint)
        for step in spec["steps"] as? [[String: Any]] ?? [] {
            if let pattern = step["log"] as? String {
                let found = await run.waitForLog { matches(pattern, $0, whole: false) }
                #expect(found != nil, "no log line matching \(pattern) within 60 s; stderr:\n\(run.standardError)")
                if found == nil { return }
            }
            guard let request = step["request"] as? [String: Any] else { continue }
            let server = request["server"] as? String ?? "app"
            if ports[server] == nil {
                let listening = await run.waitForLog { line in
                    line.contains(" listening on 127.0.0.1:") && (line.contains(" metrics listening on ") == (server == "metrics"))
                }
                ports[server] = listening.flatMap { $0.split(separator: ":").last.flatMap { Int($0) } }
            }
            let base = try #require(ports[server].map { "http://127.0.0.1:\($0)" }, "no listening line; stderr:\n\(run.standardError)")
            let (status, body) = try await send(request, to: base)
            #expect(status == step["status"] as? Int ?? 200, "\(request): \(body)")
            for pattern in step["body"] as? [String] ?? [] {
                #expect(matches(pattern, body, whole: false), "\(request): \(body) lacks \(pattern)")
            }
        }
        run.interrupt()
        let status = await run.wait(for: .seconds(60))
        #expect(status == 0, "stderr:\n\(run.standardError)")
        let lines = run.standardError.split(separator: "\n").map(String.init)
        #expect(lines.last?.hasSuffix(" stopped") == true, "the last log line is \(lines.last ?? "")")
        // What the stop waited for: a handler's coroutines finish within the stop timeout.
        for pattern in spec["after_stop"] as? [String] ?? [] {
            #expect(lines.contains { matches(pattern, $0, whole: false) }, "no log line matching \(pattern); stderr:\n\(run.standardError)")
        }
    }

    /// Ctrl-C while a `-x` command waits for input ends its read (as the end of input would)
    /// while the app's services still run, so it finishes its own way: here it still asks its
    /// service for the totals, then exits 0.
    @Test func aCommandWaitingForInputFinishesOnCtrlC() async throws {
        let project = FileManager.default.temporaryDirectory.appending(path: "wippy-ctrl-c-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.fixtures.appending(path: "echo-service/project"), to: project)
        defer { try? FileManager.default.removeItem(at: project) }
        #expect(try CLITests.wippy("init", in: project).status == 0)
        let run = try Command.start(["run", "-x", "talk"], in: project, environment: [:], input: "hello there\n", closeInput: false)
        defer { run.kill() }
        let answered = await run.waitForOutput { $0.contains("#1 Hello There [2 words]") }
        #expect(answered, "stdout:\n\(run.standardOutput)\nstderr:\n\(run.standardError)")
        run.interrupt()
        #expect(await run.wait(for: .seconds(30)) == 0, "\(run.standardError)")
        #expect(run.standardOutput.hasSuffix("courier handled 1 requests, 11 characters\nbye for now\n"), "\(run.standardOutput)")
    }

    static func send(_ request: [String: Any], to base: String) async throws -> (Int, String) {
        var urlRequest = URLRequest(url: try #require(URL(string: base + (request["path"] as? String ?? "/"))))
        urlRequest.httpMethod = request["method"] as? String ?? "GET"
        for (name, value) in request["headers"] as? [String: String] ?? [:] { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if let json = request["json"] {
            urlRequest.httpBody = try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])
            urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: urlRequest)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// A literal (the whole line, or a part of it), or `re:` and a regular expression.
    static func matches(_ pattern: String, _ text: String, whole: Bool) -> Bool {
        guard pattern.hasPrefix("re:") else { return whole ? text == pattern : text.contains(pattern) }
        guard let regex = try? Regex(String(pattern.dropFirst(3))) else { return false }
        return whole ? (try? regex.wholeMatch(in: text)) != nil : text.contains(regex)
    }
}

/// The `wippy` binary running in a project folder, its output collected as it comes by two
/// reader threads. Waits happen on threads of their own: a test never blocks a thread that runs
/// Swift tasks.
final class Command: @unchecked Sendable {  // the buffers and flags are guarded by `changed`
    private let process: Process
    private let changed = NSCondition()
    private var output = Data()
    private var errors = Data()
    private var openStreams = 2
    private var exited = false
    /// Standard input, while an interactive session keeps it open.
    private var input: Pipe?

    private init(_ process: Process) {
        self.process = process
    }

    /// Starts the binary; `input` is written to its standard input, which is then closed
    /// unless `closeInput` is false (an interactive session).
    static func start(_ arguments: [String], in directory: URL, environment: [String: String], input: String?,
                      closeInput: Bool = true) throws -> Command {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        let command = Command(process)
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        process.terminationHandler = { _ in command.update { $0.exited = true } }
        try process.run()
        command.collect(out.fileHandleForReading) { $0.output.append($1) }
        command.collect(err.fileHandleForReading) { $0.errors.append($1) }
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        if closeInput { try stdin.fileHandleForWriting.close() } else { command.input = stdin }
        return command
    }

    private func update(_ change: (Command) -> Void) {
        changed.lock()
        change(self)
        changed.broadcast()
        changed.unlock()
    }

    /// Reads `handle` to its end on a thread of its own.
    private func collect(_ handle: FileHandle, into append: @escaping @Sendable (Command, Data) -> Void) {
        Thread { [self] in
            while case let data = handle.availableData, !data.isEmpty { update { append($0, data) } }
            update { $0.openStreams -= 1 }
        }.start()
    }

    var standardOutput: String { changed.withLock { String(decoding: output, as: UTF8.self) } }
    var standardError: String { changed.withLock { String(decoding: errors, as: UTF8.self) } }

    /// Blocks (on a thread of its own) until `done` holds or `limit` passed; whether it held.
    private func await(_ limit: Duration, until done: @escaping @Sendable (Command) -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread { [self] in
                let deadline = Date().addingTimeInterval(Double(limit.components.seconds))
                changed.lock()
                var held = done(self)
                while !held, changed.wait(until: deadline) { held = done(self) }
                held = done(self)
                changed.unlock()
                continuation.resume(returning: held)
            }.start()
        }
    }

    /// The exit status, once the command ended and its output was read to the end; a command
    /// still running after `limit` is killed (and its status is -1).
    func wait(for limit: Duration) async -> Int32 {
        guard await self.await(limit, until: { $0.exited && $0.openStreams == 0 }) else {
            process.terminate()
            return -1
        }
        return process.terminationStatus
    }

    /// The first line of standard error that `accept` takes, waiting for it up to 60 seconds
    /// (nil when none came, or the command ended without one).
    func waitForLog(_ accept: @escaping @Sendable (String) -> Bool) async -> String? {
        let lines = { @Sendable (command: Command) in String(decoding: command.errors, as: UTF8.self).split(separator: "\n").map(String.init) }
        _ = await self.await(.seconds(60)) { command in
            lines(command).contains(where: accept) || (command.exited && command.openStreams == 0)
        }
        return changed.withLock { lines(self).first(where: accept) }
    }

    /// Waits up to 60 seconds until standard output so far satisfies `accept`.
    func waitForOutput(_ accept: @escaping @Sendable (String) -> Bool) async -> Bool {
        await self.await(.seconds(60)) { command in accept(String(decoding: command.output, as: UTF8.self)) }
    }

    func interrupt() {
        process.interrupt()
    }

    func kill() {
        if process.isRunning { process.terminate() }
    }
}
