import ArgumentParser
import Foundation

/// A size on the command line: `65536`, `512KiB`, `64MiB`, `1GiB` (also KB/MB/GB, as powers of 1024).
struct ByteSize: ExpressibleByArgument, Sendable {
    var bytes: Int

    init(bytes: Int) { self.bytes = bytes }

    var defaultValueDescription: String { bytes % (1 << 20) == 0 ? "\(bytes >> 20)MiB" : "\(bytes)" }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let units: [String: Int] = ["": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20,
                                    "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30]
        guard let number = Int(digits), let unit = units[text.dropFirst(digits.count).uppercased()] else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: unit)
        guard !overflow, bytes > 0, bytes <= 1 << 40 else { return nil }
        self.bytes = bytes
    }
}
