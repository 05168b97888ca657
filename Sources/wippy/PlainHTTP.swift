import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `GET` over a plain socket, for the commands that talk to a running wippy (`health`,
/// `top`): the binary links no HTTP client library (the container image has none to offer).
enum PlainHTTP {
    struct Problem: Error {
        var message: String
    }

    /// Most bytes of an answer read.
    static let maximumAnswer = 16 << 20

    /// The status line and body of `GET path` (HTTP/1.0: the server closes after the answer).
    static func get(host: String, port: Int, path: String, timeout: Double) -> Result<(statusLine: String, body: [UInt8]), Problem> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
            return .failure(Problem(message: "cannot resolve \(host)"))
        }
        defer { freeaddrinfo(found) }
        let socket = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard socket >= 0 else { return .failure(Problem(message: String(cString: strerror(errno)))) }
        defer { close(socket) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard connect(socket, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            return .failure(Problem(message: String(cString: strerror(errno)).lowercased()))
        }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host):\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard send(socket, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            return .failure(Problem(message: "cannot send the request"))
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while answer.count < maximumAnswer {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer[..<count]
        }
        guard let end = answer.firstIndex(of: UInt8(ascii: "\n")) else {
            return .failure(Problem(message: answer.isEmpty ? "no answer within \(timeout) s" : "not an HTTP answer"))
        }
        let line = String(decoding: answer[..<end], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        var index = 0, body: [UInt8] = []
        while index + 3 < answer.count {  // the body follows the first blank line
            if answer[index] == 13, answer[index + 1] == 10, answer[index + 2] == 13, answer[index + 3] == 10 {
                body = Array(answer[(index + 4)...])
                break
            }
            index += 1
        }
        return .success((line, body))
    }
}
