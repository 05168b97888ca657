import Foundation
import PackagePlugin

/// Embeds the package's top-level `schemas/*.json` into the target as Swift string constants,
/// so the runtime validates with exactly the files it ships to editors.
@main
struct EmbedSchemas: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let schemaDir = context.package.directoryURL.appending(path: "schemas")
        let inputs = try FileManager.default
            .contentsOfDirectory(at: schemaDir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSchemas.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) JSON schemas",
                executable: try context.tool(named: "SchemaEmbedder").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }
}
