import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import WippyGraph
import WippyManifest
import WippyRuntime
import WippyTestSupport

/// A real server on 127.0.0.1 (ephemeral port) running the fixture app, and a real HTTP client.
@Suite("HTTP server with Lua handlers")
struct HTTPServerTests {
    static let fixture = TestApp.fixtures + "/http/basic"

    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// Runs the fixture app; `body` gets the base URL.
    static func withServer(_ body: (URL) async throws -> Void) async throws {
        try await TestApp.serve(fixture) { base, _ in try await body(URL(string: "http://\(base)")!) }
    }

    static func request(_ url: URL, method: String = "GET", headers: [String: String] = [:], body: String? = nil) async throws -> Reply {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)".lowercased()] = "\(value)" }
        return Reply(status: http.statusCode, headers: fields, body: String(decoding: data, as: UTF8.self))
    }

    @Test func paramsQueryHeadersStatusAndBody() async throws {
        try await Self.withServer { base in
            let reply = try await Self.request(base.appending(path: "api/hello/ada").appending(queryItems: [.init(name: "q", value: "1")]),
                                               headers: ["X-Test": "present"])
            #expect(reply.status == 201)
            #expect(reply.headers["x-greeting"] == "yes")
            #expect(reply.headers["x-remote"]?.hasPrefix("127.0.0.1:") == true)
            #expect(reply.headers["content-type"] == "text/plain")
            #expect(reply.body == "hello ada from GET /api/hello/ada q=1 h=present")
        }
    }

    @Test func jsonBodyAndWriteJSON() async throws {
        try await Self.withServer { base in
            let reply = try await Self.request(base.appending(path: "api/echo"), method: "POST",
                                               headers: ["Content-Type": "application/json"], body: #"{"n": [1, 2], "s": "x"}"#)
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"] == "application/json")
            #expect(reply.body == #"{"got":{"n":[1,2],"s":"x"},"has_body":true,"is_json":true,"method":true,"params":[],"type":"application/json"}"#)
            // The constants and helpers Wippy's http module has: CONTENT, METHOD, accepts, content_length.
            let plain = try await Self.request(base.appending(path: "api/echo"), method: "POST",
                                               headers: ["Content-Type": "application/json; charset=utf-8", "Accept": "text/*"], body: "[1]")
            #expect(plain.body == "plain POST 3" && plain.headers["content-type"] == "text/plain")
            let bad = try await Self.request(base.appending(path: "api/echo"), method: "POST", body: "{oops")
            #expect(bad.status == 400)
            #expect(bad.body.contains("json.decode"))
        }
    }

    @Test func notFoundWrongMethodAndQuietHandlers() async throws {
        try await Self.withServer { base in
            let missing = try await Self.request(base.appending(path: "api/nothing"))
            #expect(missing.status == 404)
            let wrong = try await Self.request(base.appending(path: "api/echo"))
            #expect(wrong.status == 405)
            #expect(wrong.headers["allow"] == "POST")
            let quiet = try await Self.request(base.appending(path: "api/quiet"))
            #expect(quiet.status == 200)
            #expect(quiet.body.isEmpty)
        }
    }

    @Test func luaErrorGives500AndTheServerGoesOn() async throws {
        try await Self.withServer { base in
            let failed = try await Self.request(base.appending(path: "api/fail"))
            #expect(failed.status == 500)
            #expect(failed.body == #"{"error":"handler exploded"}"#)
            let next = try await Self.request(base.appending(path: "api/hello/again"))
            #expect(next.status == 201)
        }
    }
}

extension HTTPServerTests {
    /// Handlers run on warm pooled states: module-level state survives between requests, each
    /// request still is a process with a PID of its own, and a failed call's state is dropped.
    /// (Warm instances are kept per event loop: the requests share one kept-alive connection.)
    @Test func handlersReuseWarmStates() async throws {
        try await Self.withServer { base in
            let connection = try RawConnection("\(base.host ?? "127.0.0.1"):\(base.port ?? 0)")
            func counter(_ query: String = "") async throws -> (status: Int, calls: Int?, pid: String?) {
                connection.send("GET \(base.path)/api/counter\(query) HTTP/1.1\r\nHost: x\r\n\r\n")
                let reply = try #require(await connection.readAnswer())
                let object = try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]
                // A coroutine made during an earlier call sees the current call's process.
                if reply.status == 200 { #expect(object?["seen"] as? String == object?["pid"] as? String) }
                return (reply.status, object?["calls"] as? Int, object?["pid"] as? String)
            }
            let first = try await counter(), second = try await counter(), third = try await counter()
            #expect([first.calls, second.calls, third.calls] == [1, 2, 3])
            #expect(Set([first.pid, second.pid, third.pid]).count == 3)
            #expect(first.pid?.hasPrefix("{web:counter|0x") == true)
            let failed = try await counter("?fail=1")
            #expect(failed.status == 500)
            // The failed call counted 4 on the state it dropped; the next request starts a new one.
            #expect(try await counter().calls == 1)
        }
    }

    @Test func staticFilesWithIndexAndNoEscape() async throws {
        try await Self.withServer { base in
            let home = try await Self.request(base)
            #expect(home.status == 200)
            #expect(home.body.contains("home page"))
            #expect(home.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(home.headers["cache-control"] == "max-age=60")
            let css = try await Self.request(base.appending(path: "style.css"))
            #expect(css.headers["content-type"]?.hasPrefix("text/css") == true)
            let docs = try await Self.request(base.appending(path: "docs/"))
            #expect(docs.body == "docs index\n")
            let missing = try await Self.request(base.appending(path: "nope.txt"))
            #expect(missing.status == 404)
            let escape = try await Self.request(URL(string: base.absoluteString + "/%2e%2e/secret.txt")!)
            #expect(escape.status == 404)
            #expect(escape.body != "secret\n")  // the file outside the folder is not served
            // Routes win over the static site mounted at /.
            #expect(try await Self.request(base.appending(path: "api/quiet")).status == 200)
        }
    }
}
