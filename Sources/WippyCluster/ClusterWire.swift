import Foundation
import WippyProcess

/// What nodes send one another, in a compact binary form (base64 inside a notification, raw in
/// the mail table): a batch is a header (sequence number, sending node and its incarnation)
/// followed by frames. Every payload keeps its exact shape (integers stay integers, byte strings
/// stay bytes, map keys keep their types), unlike JSON.
enum ClusterWire {
    /// One thing for one process of the receiving node.
    enum Frame: Equatable {
        case message(to: PID, from: PID?, topic: String, payload: Payload)
        case signal(to: PID, from: PID?, RemoteSignal)
        /// The next frame is too large for a notification: it waits in the mail table under this id.
        case mail(Int64)

        /// Same content (signals compared in their encoded form).
        static func == (lhs: Frame, rhs: Frame) -> Bool {
            switch (lhs, rhs) {
            case let (.message(to1, from1, topic1, payload1), .message(to2, from2, topic2, payload2)):
                return to1 == to2 && from1 == from2 && topic1 == topic2 && payload1 == payload2
            case let (.mail(id1), .mail(id2)):
                return id1 == id2
            case (.signal, .signal):
                var left = Writer(), right = Writer()
                left.frame(lhs)
                right.frame(rhs)
                return left.bytes == right.bytes
            default:
                return false
            }
        }
    }

    /// The header of a batch.
    struct Header: Equatable {
        var sequence: UInt64
        var node: String
        var incarnation: Int64
    }

    struct DecodeError: Error, CustomStringConvertible {
        let description: String
    }

    static let version: UInt8 = 1

    // MARK: - Writing

    struct Writer {
        var bytes: [UInt8] = []

        mutating func header(_ header: Header) {
            bytes.append(ClusterWire.version)
            unsigned(header.sequence)
            string(header.node)
            signed(header.incarnation)
        }

        mutating func unsigned(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }

        mutating func signed(_ value: Int64) {
            unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
        }

        mutating func string(_ text: String) {
            unsigned(UInt64(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }

        mutating func pid(_ pid: PID?) {
            string(pid?.description ?? "")
        }

        mutating func payload(_ payload: Payload) {
            switch payload {
            case .null: bytes.append(0)
            case let .bool(value): bytes.append(value ? 2 : 1)
            case let .int(value):
                bytes.append(3)
                signed(value)
            case let .double(value):
                bytes.append(4)
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            case let .string(text):
                bytes.append(5)
                string(text)
            case let .bytes(raw):
                bytes.append(6)
                unsigned(UInt64(raw.count))
                bytes.append(contentsOf: raw)
            case let .array(items):
                bytes.append(7)
                unsigned(UInt64(items.count))
                for item in items { self.payload(item) }
            case let .map(map):
                bytes.append(8)
                unsigned(UInt64(map.count))
                for (key, value) in map {
                    self.key(key)
                    self.payload(value)
                }
            }
        }

        mutating func key(_ key: Payload.Key) {
            switch key {
            case let .string(text): payload(.string(text))
            case let .int(value): payload(.int(value))
            case let .double(value): payload(.double(value))
            case let .bool(value): payload(.bool(value))
            }
        }

        mutating func outcome(_ outcome: ProcessOutcome?) {
            switch outcome {
            case nil: bytes.append(0)
            case let .result(value)?:
                bytes.append(1)
                payload(value)
            case let .failure(reason)?:
                bytes.append(2)
                string(reason)
            }
        }

        mutating func frame(_ frame: Frame) {
            switch frame {
            case let .message(to, from, topic, value):
                bytes.append(1)
                pid(to)
                pid(from)
                string(topic)
                payload(value)
            case let .signal(to, from, signal):
                bytes.append(2)
                pid(to)
                pid(from)
                self.signal(signal)
            case let .mail(id):
                bytes.append(3)
                signed(id)
            }
        }

        mutating func signal(_ signal: RemoteSignal) {
            switch signal {
            case let .event(event):
                bytes.append(1)
                string(event.kind.rawValue)
                pid(event.from)
                string(event.reason ?? "")
                outcome(event.outcome)
            case let .terminate(reason):
                bytes.append(2)
                string(reason)
            case let .monitor(watcher):
                bytes.append(3)
                pid(watcher)
            case let .demonitor(watcher):
                bytes.append(4)
                pid(watcher)
            case let .link(peer):
                bytes.append(5)
                pid(peer)
            case let .unlink(peer):
                bytes.append(6)
                pid(peer)
            case let .linkFailed(from, result):
                bytes.append(7)
                pid(from)
                outcome(result)
            case let .will(message):
                bytes.append(8)
                pid(message.from)
                string(message.topic)
                payload(message.payload)
            case let .revokeWill(sender):
                bytes.append(9)
                pid(sender)
            }
        }
    }

    // MARK: - Reading

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { offset >= bytes.count }

        mutating func header() throws(DecodeError) -> Header {
            guard try byte() == ClusterWire.version else { throw DecodeError(description: "unknown wire version") }
            return Header(sequence: try unsigned(), node: try string(), incarnation: try signed())
        }

        mutating func byte() throws(DecodeError) -> UInt8 {
            guard offset < bytes.count else { throw DecodeError(description: "truncated batch") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func unsigned() throws(DecodeError) -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let next = try byte()
                guard shift < 64 else { throw DecodeError(description: "integer too long") }
                value |= UInt64(next & 0x7f) << shift
                if next & 0x80 == 0 { return value }
                shift += 7
            }
        }

        mutating func signed() throws(DecodeError) -> Int64 {
            let raw = try unsigned()
            return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        }

        mutating func count() throws(DecodeError) -> Int {
            let value = try unsigned()
            guard value <= UInt64(bytes.count - offset) else { throw DecodeError(description: "length past the end") }
            return Int(value)
        }

        mutating func raw() throws(DecodeError) -> ArraySlice<UInt8> {
            let length = try count()
            defer { offset += length }
            return bytes[offset..<offset + length]
        }

        mutating func string() throws(DecodeError) -> String {
            String(decoding: try raw(), as: UTF8.self)
        }

        mutating func pid() throws(DecodeError) -> PID? {
            let text = try string()
            if text.isEmpty { return nil }
            guard let pid = PID(text) else { throw DecodeError(description: "bad PID \(text.prefix(80))") }
            return pid
        }

        mutating func requiredPID() throws(DecodeError) -> PID {
            guard let pid = try pid() else { throw DecodeError(description: "missing PID") }
            return pid
        }

        mutating func payload(depth: Int = 0) throws(DecodeError) -> Payload {
            guard depth <= Payload.maxDepth else { throw DecodeError(description: "payload nested too deep") }
            switch try byte() {
            case 0: return .null
            case 1: return .bool(false)
            case 2: return .bool(true)
            case 3: return .int(try signed())
            case 4:
                guard bytes.count - offset >= 8 else { throw DecodeError(description: "truncated number") }
                var bits: UInt64 = 0
                for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
                offset += 8
                return .double(Double(bitPattern: bits))
            case 5: return .string(try string())
            case 6: return .bytes(Array(try raw()))
            case 7:
                let count = try count()
                var items: [Payload] = []
                items.reserveCapacity(min(count, 1024))  // a damaged count must not reserve a fortune
                for _ in 0..<count { items.append(try payload(depth: depth + 1)) }
                return .array(items)
            case 8:
                let count = try count()
                var map: [Payload.Key: Payload] = [:]
                map.reserveCapacity(min(count, 1024))
                for _ in 0..<count {
                    let key: Payload.Key
                    switch try payload(depth: depth + 1) {
                    case let .string(text): key = .string(text)
                    case let .int(value): key = .int(value)
                    case let .double(value): key = .double(value)
                    case let .bool(value): key = .bool(value)
                    default: throw DecodeError(description: "bad map key")
                    }
                    map[key] = try payload(depth: depth + 1)
                }
                return .map(map)
            case let tag: throw DecodeError(description: "unknown payload tag \(tag)")
            }
        }

        mutating func outcome() throws(DecodeError) -> ProcessOutcome? {
            switch try byte() {
            case 0: return nil
            case 1: return .result(try payload())
            case 2: return .failure(try string())
            case let tag: throw DecodeError(description: "unknown outcome tag \(tag)")
            }
        }

        mutating func frame() throws(DecodeError) -> Frame {
            switch try byte() {
            case 1:
                return .message(to: try requiredPID(), from: try pid(), topic: try string(), payload: try payload())
            case 2:
                return .signal(to: try requiredPID(), from: try pid(), try signal())
            case 3:
                return .mail(try signed())
            case let tag: throw DecodeError(description: "unknown frame tag \(tag)")
            }
        }

        mutating func signal() throws(DecodeError) -> RemoteSignal {
            switch try byte() {
            case 1:
                let kindName = try string()
                guard let kind = ProcessEvent.Kind(rawValue: kindName) else { throw DecodeError(description: "unknown event \(kindName)") }
                let from = try pid()
                let reason = try string()
                return .event(ProcessEvent(kind: kind, from: from, reason: reason.isEmpty ? nil : reason, outcome: try outcome()))
            case 2: return .terminate(reason: try string())
            case 3: return .monitor(by: try requiredPID())
            case 4: return .demonitor(by: try requiredPID())
            case 5: return .link(try requiredPID())
            case 6: return .unlink(try requiredPID())
            case 7:
                let from = try requiredPID()
                guard let outcome = try outcome() else { throw DecodeError(description: "link failure without outcome") }
                return .linkFailed(from: from, outcome: outcome)
            case 8:
                return .will(Message(from: try pid(), topic: try string(), payload: try payload()))
            case 9: return .revokeWill(from: try requiredPID())
            case let tag: throw DecodeError(description: "unknown signal tag \(tag)")
            }
        }
    }

    // MARK: - Text (notifications carry text)

    /// Base64 of `bytes` (a notification's payload must be text).
    static func text(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// The bytes of a base64 text.
    static func bytes(_ text: String) throws(DecodeError) -> [UInt8] {
        guard let data = Data(base64Encoded: text) else { throw DecodeError(description: "not base64") }
        return Array(data)
    }
}
