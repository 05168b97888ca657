import Foundation
import WippyGraph
import WippyManifest

// wippy-bench: benchmarks that print figures, side by side with a peer where one exists.
//
//   swift run -c release wippy-bench manifest [--files N] [--per-file N] [--runs N] [--peer python3]

let arguments = Array(CommandLine.arguments.dropFirst())

func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count,
          let value = Int(arguments[index + 1]) else { return fallback }
    return value
}

func stringOption(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

let wippy = stringOption("--wippy") ?? ".build/release/wippy"
// Thousands of sockets: raise the open-file limit to the hard limit (servers started from here
// inherit it).
var fileLimit = rlimit()
if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &fileLimit) == 0, fileLimit.rlim_cur < fileLimit.rlim_max {
    fileLimit.rlim_cur = fileLimit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &fileLimit)
}
do {
    switch arguments.first {
    case "manifest":
        try ManifestBenchmark(files: option("--files", 1_000), entriesPerFile: option("--per-file", 10),
                              runs: option("--runs", 5), peer: stringOption("--peer")).run()
    case "processes":
        let benchmark = ProcessBenchmark(processes: option("--processes", 10_000), rounds: option("--rounds", 100_000),
                                         runs: option("--runs", 3))
        if arguments.contains("--one-run") { try await benchmark.runOnce() } else { try await benchmark.run() }
    case "chat":
        try await ChatLoadCheck(clients: option("--clients", 1_000), senders: option("--senders", 10),
                                messages: option("--messages", 20), wippy: wippy).run()
    case "chat-bench":
        let counts = (stringOption("--clients") ?? "1000,3000").split(separator: ",").compactMap { Int($0) }
        try await ChatBenchmark(clientCounts: counts, rate: option("--rate", 10), seconds: option("--seconds", 5),
                                burst: option("--burst", 200), wippy: wippy, python: stringOption("--python") ?? "python3",
                                metrics: arguments.contains("--metrics")).run()
    case "idle":
        try await IdleBenchmark(connections: option("--connections", 10_000), idleSeconds: option("--seconds", 35),
                                wippy: wippy, python: stringOption("--python") ?? "python3").run()
    case "capacity":
        // Each side holds one descriptor per client: stay under the open-file limit.
        let reachable = Int(clamping: fileLimit.rlim_max) - 1_000
        try await CapacityBenchmark(step: option("--step", 2_000), maxClients: min(option("--max", 24_000), reachable),
                                    broadcasts: option("--broadcasts", 5), wippy: wippy,
                                    python: stringOption("--python") ?? "python3").run()
    case "broadcaster":
        try Broadcaster.run(port: Int(arguments.dropFirst().first ?? "") ?? 9000)
    case "hummingbird":
        try await HummingbirdPeer.run(port: Int(arguments.dropFirst().first ?? "") ?? 9000)
    case "reload":
        try await ReloadBenchmark(rounds: option("--rounds", 20), wippy: wippy).run()
    default:
        print("usage: wippy-bench manifest [--files N] [--per-file N] [--runs N] [--peer PYTHON]")
        print("       wippy-bench processes [--processes N] [--rounds N] [--runs N]")
        print("       wippy-bench chat [--clients N] [--senders N] [--messages N] [--wippy PATH]")
        print("       wippy-bench chat-bench [--clients 1000,3000] [--rate N] [--seconds N] [--burst N] [--metrics] [--wippy PATH] [--python PYTHON]")
        print("       wippy-bench idle [--connections N] [--seconds N] [--wippy PATH] [--python PYTHON]")
        print("       wippy-bench capacity [--step N] [--max N] [--broadcasts N] [--wippy PATH] [--python PYTHON]")
        print("       wippy-bench reload [--rounds N] [--wippy PATH]")
        print("       wippy-bench broadcaster PORT   (the chat benchmark's trivial server)")
        print("       wippy-bench hummingbird PORT   (the HTTP benchmark's handlers on a bare Hummingbird router)")
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("wippy-bench: \(error)\n".utf8))
    exit(1)
}
