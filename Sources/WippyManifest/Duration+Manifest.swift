extension Duration {
    /// The longest duration the runtime accepts anywhere (manifests, Lua, relay configs): 100 years
    /// of 365 days. Longer ones are refused rather than overflowing a clock or a timer.
    public static let manifestMaximum: Duration = .seconds(100 * 365 * 86_400)

    /// Parses a manifest duration: one or more number+unit pairs (`"500ms"`, `"1s"`, `"2m"`,
    /// `"1h30m"`, `"1.5s"`), units ns, us, µs, ms, s, m, h; `"0"` alone is zero. nil for bad text
    /// and for a total above ``manifestMaximum``.
    public init?(manifest text: String) {
        if text == "0" {
            self = .zero
            return
        }
        let limit = Double(Self.manifestMaximum.components.seconds) * 1e9
        var nanoseconds = 0.0
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return nil
            }
            // Summed as a double and checked after each pair: no integer step can overflow.
            nanoseconds += value * scale
            guard nanoseconds.isFinite, nanoseconds <= limit else { return nil }
        }
        self = .nanoseconds(Int64(nanoseconds.rounded()))
    }

    /// `milliseconds` as a duration, or nil when it is not finite, negative or above
    /// ``manifestMaximum`` (Lua numbers can be anything, `1e300` included).
    public init?(checkedMilliseconds milliseconds: Double) {
        guard milliseconds.isFinite, milliseconds >= 0,
              milliseconds <= Double(Self.manifestMaximum.components.seconds) * 1e3 else { return nil }
        self = .nanoseconds(Int64((milliseconds * 1e6).rounded()))
    }

    /// Whole nanoseconds (durations the runtime accepts always fit).
    public var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, overflowAgain) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowAgain ? (seconds < 0 ? .min : .max) : sum
    }
}
