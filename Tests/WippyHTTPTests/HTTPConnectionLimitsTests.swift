import Foundation
import Glibc
import Testing
import WippyTestSupport

/// What clients that are slow, silent or malformed get from a server with one-second timeouts
/// (Tests/Fixtures/http/timeouts): an answer where HTTP has one, a closed connection otherwise,
/// and the server goes on serving.
@Suite("HTTP connection limits: timeouts and malformed requests", .serialized)
struct HTTPConnectionLimitsTests {
    static let fixture = TestApp.fixtures + "/http/timeouts"

    @Test func clientsThatNeverFinishARequestAreCutOff() async throws {
        try await TestApp.serve(Self.fixture) { base, _ in
            // Header sections that never end (a slowloris client), on 50 connections at once.
            let slow = try (0..<50).map { _ in try RawConnection(base) }
            for connection in slow { connection.send("GET /api/hello HTTP/1.1\r\nHost: x\r\nX-Slow: ") }
            for connection in slow {
                let (answer, closed) = await connection.readUntilClosed()
                #expect(closed)
                #expect(answer.isEmpty, "\(answer)")
            }
            // A body that stops short of its Content-Length: 408.
            let short = try RawConnection(base)
            short.send("POST /api/hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
            let (timedOut, closed) = await short.readUntilClosed()
            #expect(closed)
            #expect(timedOut.hasPrefix("HTTP/1.1 408"), "\(timedOut)")
            #expect(timedOut.contains("timeouts.read"))
            // A kept-alive connection with nothing more to ask is closed after the idle timeout.
            let idle = try RawConnection(base)
            idle.send("GET /api/hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let (answered, idleClosed) = await idle.readUntilClosed()
            #expect(idleClosed)
            #expect(answered.hasPrefix("HTTP/1.1 200"), "\(answered)")
            #expect(answered.hasSuffix("\r\n\r\nhello"), "\(answered)")
            #expect(try await HTTPServerTests.request(URL(string: "http://\(base)/api/hello")!).body == "hello")
        }
    }

    /// A client that asks for 16 MiB and reads none of it is disconnected after the write
    /// timeout instead of holding the answer in the server.
    @Test func aClientThatDoesNotReadItsAnswerIsDisconnected() async throws {
        try await TestApp.serve(Self.fixture) { base, _ in
            let connection = try RawConnection(base, receiveBuffer: 4096)
            connection.send("GET /api/large HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await connection.waitForPeerClose())
            let (answer, closed) = await connection.readUntilClosed()
            #expect(closed)
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(answer.utf8.count < 16 << 20, "the whole answer was written: \(answer.utf8.count) bytes")
            #expect(try await HTTPServerTests.request(URL(string: "http://\(base)/api/hello")!).body == "hello")
        }
    }

    /// Pipelined requests are answered in order, whether their handlers wait or not, and a
    /// malformed one after them gets its 400 after their answers.
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await TestApp.serve(Self.fixture) { base, _ in
            let connection = try RawConnection(base)
            connection.send("GET /api/nap HTTP/1.1\r\nHost: x\r\n\r\nGET /api/hello HTTP/1.1\r\nHost: x\r\n\r\n"
                            + "GET /api/missing HTTP/1.1\r\nHost: x\r\n\r\nGET /api/nap HTTP/1.1\r\nHost: x\r\n\r\n"
                            + "GET /api/hello HTTP/1.1\nHost: x\r\n\r\n")
            let (answer, closed) = await connection.readUntilClosed()
            #expect(closed)
            let statuses = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(statuses == ["200", "200", "404", "200", "400"], "\(answer)")
            let bodies = ["nap", "hello", "not found: /api/missing", "nap", "malformed HTTP request"]
            var rest = Substring(answer)
            for body in bodies {
                let found = try #require(rest.range(of: body), "\(body) missing or out of order in \(answer)")
                rest = rest[found.upperBound...]
            }
        }
    }

    /// Before: NIO's pipelining handler passed on the next request as soon as an answer was
    /// queued, so a client that sent requests without reading had every answer made and held.
    /// Now the next request is taken only while the socket takes what is written.
    @Test func aPipeliningClientThatDoesNotReadGetsFewAnswersMade() async throws {
        let logs = LogCapture()
        try await TestApp.serve(Self.fixture, logs: logs) { base, _ in
            let connection = try RawConnection(base, receiveBuffer: 4096)
            connection.send(String(repeating: "GET /api/counted HTTP/1.1\r\nHost: x\r\n\r\n", count: 100))
            #expect(await connection.waitForPeerClose())  // the write timeout
            let made = logs.all.filter { $0.contains("counted answer made") }.count
            #expect(made >= 1 && made <= 4, "\(made) answers of 1 MiB were made for a client that reads none")
            #expect(try await HTTPServerTests.request(URL(string: "http://\(base)/api/hello")!).body == "hello")
        }
    }

    @Test(arguments: [
        ("conflicting Content-Length and Transfer-Encoding",
         "POST /api/hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 400"),
        ("bare LF line ends", "GET /api/hello HTTP/1.1\nHost: x\n\n", "HTTP/1.1 400"),
        ("a 100 KB header field", "GET /api/hello HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n",
         "HTTP/1.1 431"),
        ("a 100 KB URL", "GET /api/\(String(repeating: "a", count: 100_000)) HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 414"),
        ("10,000 header fields", "GET /api/hello HTTP/1.1\r\nHost: x\r\n\(String(repeating: "X-Many: 1234567\r\n", count: 10_000))\r\n",
         "HTTP/1.1 431"),
        ("a 1 MB header field", "GET /api/hello HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 1_000_000))\r\n\r\n",
         "HTTP/1.1 431"),
        ("a request line that is no HTTP", "GARBAGE\r\n\r\n", "HTTP/1.1 400"),
    ])
    func malformedRequestsGetAnAnswerAndAClose(what: String, request: String, status: String) async throws {
        try await TestApp.serve(Self.fixture) { base, _ in
            let connection = try RawConnection(base)
            connection.send(request)
            let (answer, closed) = await connection.readUntilClosed()
            #expect(closed, "\(what)")
            #expect(answer.hasPrefix(status), "\(what): \(answer.prefix(200))")
            #expect(answer.contains(#"{"error":"#), "\(what): \(answer.prefix(300))")
            #expect(try await HTTPServerTests.request(URL(string: "http://\(base)/api/hello")!).body == "hello")
        }
    }
}

/// A plain TCP connection to 127.0.0.1, for requests an HTTP client library will not send. Its
/// blocking reads run on a thread of their own.
final class RawConnection: @unchecked Sendable {
    private let socket: Int32

    init(_ base: String, receiveBuffer: Int32? = nil) throws {
        let port = UInt16(base.split(separator: ":").last.flatMap { Int($0) } ?? 0)
        socket = try LoopbackSocket.connect(port: port, receiveBuffer: receiveBuffer)
    }

    deinit { close(socket) }

    func send(_ text: String) {
        send(bytes: Array(text.utf8))
    }

    func send(bytes: [UInt8]) {
        var bytes = bytes[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }  // the server closed: what it answered is read later
            bytes = bytes.dropFirst(sent)
        }
    }

    /// Everything the server sends until it closes the connection, and whether it did (false:
    /// two minutes passed, far beyond any timeout the tests set).
    func readUntilClosed() async -> (String, closed: Bool) {
        let (bytes, closed) = await readBytesUntilClosed()
        return (String(decoding: bytes, as: UTF8.self), closed)
    }

    /// ``readUntilClosed()`` as bytes.
    func readBytesUntilClosed() async -> ([UInt8], closed: Bool) {
        await onThread { [socket] in
            var timeout = timeval(tv_sec: 120, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = recv(socket, &buffer, buffer.count, 0)
                if count > 0 { received += buffer[..<count]; continue }
                // 0: closed; ECONNRESET: closed with unread data; EAGAIN: the two minutes passed.
                return (received, count == 0 || errno == ECONNRESET)
            }
        }
    }

    /// One answer on a kept-alive connection: its status and its body (read up to its
    /// `Content-Length`); nil when the connection closed first.
    func readAnswer() async -> (status: Int, body: String)? {
        await onThread { [socket] in
            var timeout = timeval(tv_sec: 120, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var received: [UInt8] = []
            var byte: UInt8 = 0
            while !received.suffix(4).elementsEqual([13, 10, 13, 10]) {  // a byte at a time: nothing of the next answer
                guard recv(socket, &byte, 1, 0) == 1 else { return nil }
                received.append(byte)
            }
            let head = String(decoding: received, as: UTF8.self).lowercased()
            let status = Int(head.dropFirst("http/1.1 ".count).prefix(3)) ?? 0
            let length = head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            var body = [UInt8](repeating: 0, count: length), got = 0
            while got < length {
                let count = body[got...].withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { return nil }
                got += count
            }
            return (status, String(decoding: body, as: UTF8.self))
        }
    }

    /// Waits, without reading, until the server closes its end (up to two minutes).
    func waitForPeerClose() async -> Bool {
        let peerClosed: Int16 = 0x2000  // POLLRDHUP (Linux), which Glibc's module does not export
        return await onThread { [socket] in
            var entry = pollfd(fd: socket, events: peerClosed, revents: 0)
            return poll(&entry, 1, 120_000) == 1 && entry.revents & (peerClosed | Int16(POLLHUP | POLLERR)) != 0
        }
    }

    private func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}
