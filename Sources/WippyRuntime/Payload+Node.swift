import WippyProcess
import WippySchema

extension Payload {
    /// A manifest value as a payload (for `registry.get` and service inputs).
    public init(_ node: Node) {
        switch node.value {
        case .null: self = .null
        case let .bool(b): self = .bool(b)
        case let .int(i): self = .int(Int64(i))
        case let .double(d): self = .double(d)
        case let .string(s): self = .string(s)
        case let .array(items): self = .array(items.map(Payload.init))
        case let .object(members):
            self = .map(Dictionary(members.map { (Key.string($0.key), Payload($0.value)) }, uniquingKeysWith: { _, last in last }))
        }
    }
}
