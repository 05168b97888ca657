extension Duration {
    /// Parses a manifest duration: one or more number+unit pairs (`"500ms"`, `"1s"`, `"2m"`,
    /// `"1h30m"`, `"1.5s"`), units ns, us, µs, ms, s, m, h; `"0"` alone is zero.
    public init?(manifest text: String) {
        if text == "0" {
            self = .zero
            return
        }
        var total = Duration.zero
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            rest = rest.dropFirst(unit.count)
            let nanoseconds: Double
            switch unit {
            case "ns": nanoseconds = 1
            case "us", "µs": nanoseconds = 1e3
            case "ms": nanoseconds = 1e6
            case "s": nanoseconds = 1e9
            case "m": nanoseconds = 60e9
            case "h": nanoseconds = 3600e9
            default: return nil
            }
            let product = value * nanoseconds
            guard product.isFinite, product < 9.2e18 else { return nil }
            total += .nanoseconds(Int64(product))
        }
        self = total
    }
}
