import ArgumentParser

/// `wippy`: the runtime's command line.
@main
struct WippyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wippy",
        abstract: "A declarative, manifest-driven application runtime: Lua actors, HTTP and WebSocket relay.",
        version: WippyVersion.text,
        subcommands: [RunCommand.self, InitCommand.self, ValidateCommand.self, GraphCommand.self, HealthCommand.self, TopCommand.self, VersionCommand.self]
    )
}
