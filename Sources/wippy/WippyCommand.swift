import ArgumentParser

/// `wippy`: the runtime's command line.
@main
struct WippyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wippy",
        abstract: "A declarative, manifest-driven application runtime: Lua actors, HTTP and WebSocket relay.",
        version: WippyVersion.text,
        subcommands: [ValidateCommand.self, GraphCommand.self, VersionCommand.self]
    )
}
