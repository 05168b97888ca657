import Foundation

// Usage: TextEmbedder OUTPUT.swift ENUM FILE...
// Writes `enum ENUM { static let files: [String: String] }`: each file's text, keyed by file name.
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: TextEmbedder OUTPUT.swift ENUM FILE...\n".utf8))
    exit(2)
}
let (output, name) = (arguments[0], arguments[1])
var swift = "// Generated at build time. Do not edit.\n"
swift += "enum \(name) {\n    static let files: [String: String] = [\n"
for path in arguments.dropFirst(2) {
    let url = URL(fileURLWithPath: path)
    let text = try String(contentsOf: url, encoding: .utf8)
    // A raw string with enough #s that no sequence inside the file can end it early.
    var hashes = "#"
    while text.contains("\"" + hashes) { hashes += "#" }
    swift += "        \"\(url.lastPathComponent)\": \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes),\n"
}
swift += "    ]\n}\n"
try swift.write(to: URL(fileURLWithPath: output), atomically: true, encoding: .utf8)
