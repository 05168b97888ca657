// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "wippy",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "wippy", targets: ["wippy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // Layer 0: the system Lua 5.4 (liblua5.4-dev); every lua_* call lives in WippyLua.
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // Layer 1: JSON-like documents with source marks, and a JSON Schema (2020-12) validator.
        .target(name: "WippySchema"),
        // Layer 2: files → typed entries. Validates with the schemas in schemas/, embedded at build time.
        .target(
            name: "WippyManifest",
            dependencies: ["WippySchema", .product(name: "Yams", package: "Yams")],
            plugins: ["EmbedSchemas"]
        ),
        // Layer 3: typed entries → dependency graph (edges, missing references, cycles, start order).
        .target(name: "WippyGraph", dependencies: ["WippyManifest"]),
        // The command-line front door.
        .executableTarget(
            name: "wippy",
            dependencies: [
                "WippyManifest", "WippyGraph", "CLua",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks that print figures (not timed tests).
        .executableTarget(name: "wippy-bench", dependencies: ["WippyManifest", "WippyGraph"]),
        // Build-time tool: turns schemas/*.json into Swift string constants.
        .executableTarget(name: "SchemaEmbedder"),
        .plugin(name: "EmbedSchemas", capability: .buildTool(), dependencies: ["SchemaEmbedder"]),

        .testTarget(name: "WippySchemaTests", dependencies: ["WippySchema"]),
        .testTarget(name: "WippyManifestTests", dependencies: ["WippyManifest"]),
        .testTarget(name: "WippyGraphTests", dependencies: ["WippyGraph", "WippyManifest"]),
        .testTarget(name: "WippyCLITests", dependencies: ["wippy"]),
    ]
)
