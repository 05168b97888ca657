import Foundation

// Usage: SchemaEmbedder OUTPUT.swift SCHEMA.json...
// Writes `enum EmbeddedSchemas { static let files: [String: String] }`, keyed by file name.
let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: SchemaEmbedder OUTPUT.swift SCHEMA.json...\n".utf8))
    exit(2)
}
var swift = "// Generated from schemas/*.json at build time. Do not edit.\n"
swift += "enum EmbeddedSchemas {\n    static let files: [String: String] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let text = try String(contentsOf: url, encoding: .utf8)
    // A raw string with enough #s that no sequence inside the file can end it early.
    var hashes = "#"
    while text.contains("\"" + hashes) { hashes += "#" }
    swift += "        \"\(url.lastPathComponent)\": \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes),\n"
}
swift += "    ]\n}\n"
try swift.write(to: URL(fileURLWithPath: output), atomically: true, encoding: .utf8)
