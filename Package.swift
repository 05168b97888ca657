// swift-tools-version:6.1
import PackageDescription

// scripts/fuzz.sh builds with WIPPY_FUZZ=1: the runtime's own targets get libFuzzer's coverage and
// AddressSanitizer, and wippy-fuzz gets libFuzzer's main instead of its replay one.
let fuzzing = Context.environment["WIPPY_FUZZ"] != nil
let fuzzed: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : []

let package = Package(
    name: "wippy",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "wippy", targets: ["wippy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // The benchmark's peer (a bare Hummingbird router) and the tests' WebSocket client.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        // The HTTP server and the relay: listener, HTTP/1 codec, WebSocket codec, quiescing.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // HTTPS and WSS (`http.service` `tls:`).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Metrics (docs/observability.md): the API, and the Prometheus text exposition.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Clusters (docs/cluster.md): nodes coordinate through PostgreSQL (LISTEN/NOTIFY, tables).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Micro-benchmarks with malloc counts (Benchmarks/).
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Layer 0: the system Lua 5.4 (liblua5.4-dev); every lua_* call lives in WippyLua.
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // Lua's pattern functions (find, match, gmatch, gsub) with a bounded number of matching steps.
        .target(name: "CWippyPatterns", dependencies: ["CLua"],
                cSettings: fuzzing ? [.unsafeFlags(["-fsanitize=fuzzer-no-link,address"])] : []),
        // Layer 1: JSON-like documents with source marks, and a JSON Schema (2020-12) validator.
        .target(name: "WippySchema", swiftSettings: fuzzed),
        // Layer 2: files → typed entries. Validates with the schemas in schemas/, embedded at build time.
        .target(
            name: "WippyManifest",
            dependencies: ["WippySchema", .product(name: "Yams", package: "Yams")],
            swiftSettings: fuzzed,
            plugins: ["EmbedText"]
        ),
        // Layer 3: typed entries → dependency graph (edges, missing references, cycles, start order).
        .target(name: "WippyGraph", dependencies: ["WippyManifest"], swiftSettings: fuzzed),
        // Processes: PIDs, payloads, mailboxes' routing, names, monitors and links. Knows nothing of Lua.
        .target(name: "WippyProcess", dependencies: [.product(name: "DequeModule", package: "swift-collections")],
                swiftSettings: fuzzed),
        // Lua 5.4 states, the value bridge, the sandbox and the built-in modules; Lua processes.
        .target(
            name: "WippyLua",
            dependencies: ["CLua", "CWippyPatterns", "WippyProcess", "WippyManifest", .product(name: "Logging", package: "swift-log"),
                           .product(name: "DequeModule", package: "swift-collections")],
            exclude: ["Prelude"],
            // Every message passes a dozen class properties of its processes here; checking each
            // access for exclusivity at run time cost a measured 2.5 % of a round trip. The state
            // they guard is confined to one scheduler thread or behind a Mutex.
            swiftSettings: fuzzed + [.unsafeFlags(["-enforce-exclusivity=unchecked"])],
            plugins: ["EmbedText"]
        ),
        // HTTP: the route table, the server (a NIO listener and channel handlers), requests handed
        // to route handlers, the WebSocket relay. Knows nothing of Lua.
        .target(
            name: "WippyHTTP",
            dependencies: ["WippyProcess", "WippyManifest",
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "HeapModule", package: "swift-collections"),
                           .product(name: "DequeModule", package: "swift-collections"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOWebSocket", package: "swift-nio"),
                           .product(name: "NIOExtras", package: "swift-nio-extras"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: fuzzed
        ),
        // Lua meets HTTP: the `http` module (a BuiltinModule) and the Lua scheduler of each of the
        // servers' event loops, where handlers run.
        .target(
            name: "WippyLuaHTTP",
            dependencies: ["CLua", "WippyLua", "WippyHTTP", "WippyProcess", .product(name: "NIOCore", package: "swift-nio")],
            exclude: ["Prelude"],
            swiftSettings: fuzzed,
            plugins: ["EmbedText"]
        ),
        // Several runtimes as one: membership with leases, messages, names, monitors and links
        // between nodes, all through PostgreSQL. Knows nothing of Lua or HTTP.
        .target(
            name: "WippyCluster",
            dependencies: ["WippyProcess",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: fuzzed
        ),
        // Turns a checked app into running services: hosts, supervisor, logging.
        .target(
            name: "WippyRuntime",
            dependencies: ["WippyGraph", "WippyManifest", "WippyProcess", "WippyLua", "WippyHTTP", "WippyLuaHTTP", "WippyCluster",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "CoreMetrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio")]
        ),
        // The command-line front door.
        .executableTarget(
            name: "wippy",
            dependencies: [
                "WippyManifest", "WippyGraph", "WippyRuntime", "WippyProcess", "WippyHTTP", "WippyCluster", "CLua",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks that print figures (not timed tests).
        .executableTarget(
            name: "wippy-bench",
            dependencies: ["WippyManifest", "WippyGraph", "WippyRuntime", "WippyProcess", "CLua",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOWebSocket", package: "swift-nio")]
        ),
        // The input parsers as fuzz targets (scripts/fuzz.sh); the regular build replays files.
        .executableTarget(
            name: "wippy-fuzz",
            dependencies: ["WippyManifest", "WippyGraph", "WippyHTTP", "WippyLua", "WippyProcess", "CLua"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])] + fuzzed + (fuzzing ? [.define("FUZZING")] : []),
            linkerSettings: fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])] : []
        ),
        // Micro-benchmarks of the hot paths with malloc counts: `swift package benchmark`.
        .executableTarget(
            name: "WippyBenchmarks",
            dependencies: ["WippyRuntime", "WippyLua", "WippyHTTP", "WippyProcess", "WippyManifest", "WippyGraph", "CLua",
                           .product(name: "Benchmark", package: "benchmark"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Benchmarks/WippyBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Build-time tool: turns text files (schemas/*.json, the runtime's Lua) into Swift string constants.
        .executableTarget(name: "TextEmbedder"),
        .plugin(name: "EmbedText", capability: .buildTool(), dependencies: ["TextEmbedder"]),

        // Shared by the test targets: running fixture apps, capturing logs.
        .target(
            name: "WippyTestSupport",
            dependencies: ["WippyRuntime", "WippyGraph", "WippyManifest",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Tests/WippyTestSupport"
        ),
        .testTarget(name: "WippySchemaTests", dependencies: ["WippySchema"]),
        .testTarget(name: "WippyManifestTests", dependencies: ["WippyManifest"]),
        .testTarget(name: "WippyGraphTests", dependencies: ["WippyGraph", "WippyManifest"]),
        .testTarget(name: "WippyProcessTests", dependencies: ["WippyProcess"]),
        .testTarget(name: "WippyClusterTests", dependencies: ["WippyCluster", "WippyProcess"]),
        .testTarget(name: "WippyLuaTests", dependencies: ["WippyLua", "WippyProcess", "CLua"]),
        .testTarget(name: "WippyRuntimeTests",
                    dependencies: ["WippyRuntime", "WippyGraph", "WippyManifest", "WippyProcess", "WippyTestSupport"]),
        .testTarget(
            name: "WippyHTTPTests",
            dependencies: ["WippyHTTP", "WippyRuntime", "WippyGraph", "WippyManifest", "WippyProcess", "WippyTestSupport",
                           .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")]
        ),
        .testTarget(name: "WippyCLITests", dependencies: ["wippy", "WippyTestSupport"]),
    ]
)
