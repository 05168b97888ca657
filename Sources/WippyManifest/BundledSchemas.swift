import WippySchema

/// The JSON Schemas of `schemas/`, compiled into the binary at build time (see the EmbedText
/// plugin): the runtime validates with exactly the files editors use.
public enum BundledSchemas {
    /// File name → JSON text of every schema in `schemas/`.
    public static var files: [String: String] { EmbeddedSchemas.files }

    /// The schema of a whole manifest file.
    public static let manifestFile = "manifest.schema.json"

    /// A registry over the bundled files.
    public static func registry() throws -> SchemaRegistry {
        try SchemaRegistry(jsonTexts: files)
    }
}
