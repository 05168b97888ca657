import Foundation
import WippySchema
import Yams

/// Reads one YAML file into a ``Node`` tree that keeps every value's line and column.
enum YAMLDocument {
    /// What went wrong reading a file, with the position when one is known.
    struct Failure: Error {
        var mark: SourceMark
        var message: String
    }

    /// Decodes `data` as UTF-8 and parses it; nil for an empty document.
    static func parse(_ data: Data) throws(Failure) -> WippySchema.Node? {
        guard let text = String(validating: data, as: UTF8.self) else {
            throw Self.invalidUTF8(data)
        }
        let root: Yams.Node?
        do {
            // The basic resolver leaves every scalar untyped; YAMLCoreSchema types plain ones.
            root = try Yams.compose(yaml: text, Resolver.basic)
        } catch let error as YamlError {
            throw Self.failure(error)
        } catch {
            throw Failure(mark: SourceMark(line: 1, column: 1), message: "cannot read YAML: \(error)")
        }
        guard let root else { return nil }
        var budget = ValueBudget(remaining: maxValues(forBytes: data.count))
        return try convert(root, &budget)
    }

    /// Most values a file of `bytes` bytes may hold once its aliases are expanded: what its text
    /// can hold without aliases, plus room for ordinary reuse. An alias of an alias of … (a
    /// "billion laughs" file) passes it after a few steps instead of taking the memory.
    static func maxValues(forBytes bytes: Int) -> Int { 10_000 + 2 * bytes }

    private struct ValueBudget {
        var remaining: Int
        let limit: Int
        init(remaining: Int) {
            self.remaining = remaining
            self.limit = remaining
        }
    }

    private static func convert(_ node: Yams.Node, _ budget: inout ValueBudget) throws(Failure) -> WippySchema.Node {
        let mark = node.mark.map { SourceMark(line: $0.line, column: $0.column) } ?? .none
        budget.remaining -= 1
        guard budget.remaining >= 0 else {
            throw Failure(mark: mark, message: "YAML aliases expand to more than \(budget.limit) values here; "
                          + "repeat the content instead of nesting aliases")
        }
        switch node {
        case let .scalar(scalar):
            return WippySchema.Node(scalarValue(node, scalar), mark: mark)
        case let .sequence(sequence):
            var items: [WippySchema.Node] = []
            for item in sequence { items.append(try convert(item, &budget)) }
            return WippySchema.Node(.array(items), mark: mark)
        case let .mapping(mapping):
            var members: [WippySchema.Node.Member] = []
            for (key, value) in mapping {
                let keyMark = key.mark.map { SourceMark(line: $0.line, column: $0.column) } ?? mark
                members.append(.init(key: key.string ?? key.scalar?.string ?? "", keyMark: keyMark, value: try convert(value, &budget)))
            }
            return WippySchema.Node(.object(members), mark: mark)
        case .alias:
            // Yams resolves aliases while composing; an unresolved one is treated as null.
            return WippySchema.Node(.null, mark: mark)
        }
    }

    private static func scalarValue(_ node: Yams.Node, _ scalar: Yams.Node.Scalar) -> WippySchema.Node.Value {
        // Quoted, literal and folded scalars are strings; only plain ones carry other types.
        scalar.style == .plain ? YAMLCoreSchema.value(ofPlain: scalar.string) : .string(scalar.string)
    }

    private static func failure(_ error: YamlError) -> Failure {
        func at(_ mark: Yams.Mark) -> SourceMark { SourceMark(line: mark.line, column: mark.column) }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let detail = context.map { " \($0.text)" } ?? ""
            return Failure(mark: at(mark), message: "YAML syntax error: \(problem)\(detail)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return Failure(mark: at(context.mark), message: "YAML error: key \(keys) appears twice in the same mapping")
        case let .reader(problem, offset, _, _):
            return Failure(mark: SourceMark(line: 1, column: 1),
                           message: "cannot read YAML: \(problem)" + (offset.map { " at byte \($0)" } ?? ""))
        default:
            return Failure(mark: SourceMark(line: 1, column: 1), message: "cannot read YAML: \(error)")
        }
    }

    /// Locates the first byte that is not valid UTF-8.
    static func invalidUTF8(_ data: Data) -> Failure {
        var line = 1, column = 1, offset = 0
        var iterator = data.makeIterator()
        var decoder = UTF8()
        var bytesBefore = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar):
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
                bytesBefore += UTF8.width(scalar)
            case .emptyInput:
                break loop
            case .error:
                offset = bytesBefore
                break loop
            }
        }
        let byte = offset < data.count ? String(format: "0x%02X", data[data.startIndex + offset]) : "end of file"
        return Failure(mark: SourceMark(line: line, column: column),
                       message: "file is not valid UTF-8 (byte \(byte) at offset \(offset)); save it as UTF-8")
    }
}
