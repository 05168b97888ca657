import Foundation
import Hummingbird
import NIOPosix

/// The HTTP benchmark's handlers on a bare Hummingbird router, without Lua: the serving path the
/// runtime used before it answered requests on NIO channel handlers, as a peer for
/// scripts/bench-http.sh. `GET /api/v1/hello` answers "hello"; `POST /api/v1/json` decodes the
/// JSON body and answers it encoded again.
/// Usage: wippy-bench hummingbird PORT (on 127.0.0.1; one event loop, as the benchmark pins each
/// server to one core, where the runtime makes one loop too).
enum HummingbirdPeer {
    static func run(port: Int) async throws {
        let router = Router()
        router.get("/api/v1/hello") { _, _ in "hello" }
        router.post("/api/v1/json") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let value = try JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed])
            let encoded = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: encoded)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup(numberOfThreads: 1)))
        try await app.runService()
    }
}
