import Foundation

extension Node: Decodable {
    /// Decodes any JSON value. Object members come out sorted by key (JSON objects are unordered).
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self.init(.null)
        } else if let bool = try? container.decode(Bool.self) {
            self.init(.bool(bool))
        } else if let int = try? container.decode(Int.self) {
            self.init(.int(int))
        } else if let double = try? container.decode(Double.self) {
            self.init(.double(double))
        } else if let string = try? container.decode(String.self) {
            self.init(.string(string))
        } else if let array = try? container.decode([Node].self) {
            self.init(.array(array))
        } else {
            let object = try container.decode([String: Node].self)
            self.init(.object(object.sorted { $0.key < $1.key }.map { Member(key: $0.key, value: $0.value) }))
        }
    }

    /// Parses a JSON text into a node (without source marks).
    public static func parseJSON(_ text: String) throws -> Node {
        try JSONDecoder().decode(Node.self, from: Data(text.utf8))
    }
}
