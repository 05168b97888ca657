import Foundation
import PackagePlugin

/// Embeds text files into a target as Swift string constants (`enum <Name> { static let files }`,
/// keyed by file name), so the binary carries exactly the files in the repository:
/// - WippyManifest: the package's top-level `schemas/*.json` (also shipped to editors), as
///   `EmbeddedSchemas`;
/// - any other target: the `.lua` files of its `Prelude/` folder (the runtime's own Lua code), as
///   `EmbeddedLua`.
@main
struct EmbedText: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let schemas = target.name == "WippyManifest"
        let folder = schemas ? context.package.directoryURL.appending(path: "schemas")
                             : target.directoryURL.appending(path: "Prelude")
        let inputs = try FileManager.default
            .contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == (schemas ? "json" : "lua") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let name = schemas ? "EmbeddedSchemas" : "EmbeddedLua"
        let output = context.pluginWorkDirectoryURL.appending(path: "\(name).swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) files as \(name)",
                executable: try context.tool(named: "TextEmbedder").url,
                arguments: [output.path, name] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }
}
