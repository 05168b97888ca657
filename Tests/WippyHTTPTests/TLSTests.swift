import Foundation
import NIOSSL
import Testing
import WippyHTTP
import WippyRuntime
import WippyTestSupport

/// HTTPS and WSS with a self-signed certificate made for the test (`openssl req`), real clients.
@Suite("TLS: HTTPS and WSS")
struct TLSTests {
    /// A temporary copy of the hardening fixture whose server has `tls:`, with a fresh certificate.
    static func makeApp(certificate: String? = nil) async throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "wippy-tls-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: TestApp.fixtures + "/http/hardening", toPath: folder.path)
        _ = try await Subprocess.output(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                                         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                         "-keyout", folder.appending(path: "key.pem").path,
                                         "-out", folder.appending(path: "cert.pem").path])
        #expect(FileManager.default.fileExists(atPath: folder.appending(path: "cert.pem").path))
        if let certificate { try certificate.write(to: folder.appending(path: "cert.pem"), atomically: true, encoding: .utf8) }
        let manifest = folder.appending(path: "_index.yaml")
        let text = try String(contentsOf: manifest, encoding: .utf8)
            .replacingOccurrences(of: "    max_body_size: 33554432\n",
                                  with: "    max_body_size: 33554432\n    tls: {cert: file://cert.pem, key: file://key.pem}\n")
        try text.write(to: manifest, atomically: true, encoding: .utf8)
        return folder
    }

    static func curl(_ arguments: [String]) async throws -> String {
        try await Subprocess.output(["curl", "-s", "--max-time", "60"] + arguments)
    }

    @Test func httpsAndWSSWithTheAppsCertificate() async throws {
        let folder = try await Self.makeApp()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cert = folder.appending(path: "cert.pem").path
        try await TestApp.serve(folder.path, ready: { $0.table.lookup("attack.hub") != nil }) { base, _ in
            // curl trusts the test certificate only: the chain and the name are checked.
            #expect(try await Self.curl(["--cacert", cert, "https://\(base)/api/hello"]) == "hello")
            #expect(try await Self.curl(["--cacert", cert, "-o", "/dev/null", "-w", "%{http_code}", "https://\(base)/healthz"]) == "200")
            #expect(try await Self.curl(["https://\(base)/api/hello"]).isEmpty)  // not trusted without --cacert
            #expect(try await Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "http://\(base)/healthz"]) == "000")  // no plain HTTP

            var client = TLSConfiguration.makeClientConfiguration()
            client.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert))
            let tls = client
            let socket = TestSocket()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // By name: a TLS client sends no IP address as the server name.
                let port = base.split(separator: ":").last!
                group.addTask { try await socket.run("wss://localhost:\(port)/api/ws?hb=1s", tls: tls) }
                socket.send("ping")
                try await socket.wait("pong over wss") { !socket.messages("pong").isEmpty }
                socket.close()
                try await group.waitForAll()
            }
        }
    }

    @Test func aBadCertificateIsAClearErrorBeforeAnythingStarts() async throws {
        let folder = try await Self.makeApp(certificate: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let runtime = AppRuntime(app: try TestApp.load(folder.path), logger: LogCapture().logger())
        let server = try #require(runtime.servers.first)
        do throws(HTTPServerService.ListenError) {
            try server.checkTLS()
            Issue.record("a bad certificate was accepted")
        } catch {
            #expect(error.description.hasPrefix("attack:server: tls.cert: "), "\(error)")
            #expect(error.description.contains("is not a PEM certificate chain"), "\(error)")
        }
    }
}
