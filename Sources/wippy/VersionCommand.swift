import ArgumentParser
import CLua

/// The runtime's version and the Lua it embeds.
enum WippyVersion {
    static let number = "0.1.0"

    static var text: String {
        let lua = Int(lua_version(nil))  // LUA_VERSION_NUM, e.g. 504
        return "wippy \(number) (Lua \(lua / 100).\(lua % 100))"
    }
}

/// `wippy version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        print(WippyVersion.text)
    }
}
