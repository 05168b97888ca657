/// The path patterns of a route table as a tree of segments, so that a lookup walks the request
/// path once instead of comparing it with every route. Built once; read only after.
struct RouteTrie: Sendable {
    private final class Node: @unchecked Sendable {  // written only while the trie is built
        var literals: [Substring: Node] = [:]
        /// The child for a `{name}` segment (whatever its name).
        var parameter: Node?
        /// The routes whose pattern ends here, by index in the table, ascending.
        var ends: [Int] = []
    }

    private let root = Node()

    init(_ routes: [RouteTable.Route]) {
        for (index, route) in routes.enumerated() {
            var node = root
            for segment in route.segments {
                switch segment {
                case let .literal(text):
                    let key = Substring(text)
                    let next = node.literals[key] ?? Node()
                    node.literals[key] = next
                    node = next
                case .parameter:
                    let next = node.parameter ?? Node()
                    node.parameter = next
                    node = next
                }
            }
            node.ends.append(index)
        }
    }

    /// The indexes of the routes whose pattern matches the path `parts` (a literal segment the
    /// same text, a parameter any one segment), ascending: the order of a scan of the table.
    func matches(_ parts: [Substring]) -> [Int] {
        var found: [Int] = []
        collect(root, parts[...], into: &found)
        if found.count > 1 { found.sort() }
        return found
    }

    private func collect(_ node: Node, _ parts: ArraySlice<Substring>, into found: inout [Int]) {
        guard let part = parts.first else { return found += node.ends }
        if let next = node.literals[part] { collect(next, parts.dropFirst(), into: &found) }
        if let next = node.parameter { collect(next, parts.dropFirst(), into: &found) }
    }
}
