import Detectors

/// A batch of latency samples as stored: binary, so a day of them (1.4 million at 16 servers) reads back in well
/// under a second, where JSON took many.
///
/// Layout (version 1): `1`, a string table (count, then length-prefixed UTF-8: groups, servers, error reasons), the
/// sample count, then per sample: group, server (table indices), source and outcome in one byte, the error's index
/// when the outcome is an error, `seconds` and `serverSeconds` (bit patterns, `serverSeconds` only when present),
/// `atSeconds`, and `recordedAtSeconds` when present. Every field of ``LatencySample`` is kept exactly.
enum LatencyBatchCodec {
    struct CodecError: Error, CustomStringConvertible {
        var message: String
        var description: String { "stored latency batch: \(self.message)" }
    }

    static let version: UInt8 = 1

    static func encode(_ samples: [LatencySample]) -> [UInt8] {
        var strings: [String] = []
        var index: [String: UInt64] = [:]
        func id(_ text: String) -> UInt64 {
            if let known = index[text] { return known }
            let next = UInt64(strings.count)
            strings.append(text)
            index[text] = next
            return next
        }
        var body: [UInt8] = []
        body.reserveCapacity(samples.count * 24)
        for sample in samples {
            SweepFrameCodec.appendVarint(id(sample.group), to: &body)
            SweepFrameCodec.appendVarint(id(sample.server), to: &body)
            let source: UInt8 = switch sample.source { case .probe: 0; case .scrape: 1; case .push: 2 }
            let outcome: UInt8 = switch sample.outcome { case .success: 0; case .timeout: 1; case .error: 2 }
            var flags = source | outcome << 2
            if sample.serverSeconds != nil { flags |= 1 << 4 }
            if sample.recordedAtSeconds != nil { flags |= 1 << 5 }
            body.append(flags)
            if case .error(let reason) = sample.outcome { SweepFrameCodec.appendVarint(id(reason), to: &body) }
            Self.append(sample.seconds, to: &body)
            if let server = sample.serverSeconds { Self.append(server, to: &body) }
            Self.append(sample.atSeconds, to: &body)
            if let recorded = sample.recordedAtSeconds { Self.append(recorded, to: &body) }
        }
        var out: [UInt8] = [Self.version]
        SweepFrameCodec.appendVarint(UInt64(strings.count), to: &out)
        for text in strings {
            let bytes = Array(text.utf8)
            SweepFrameCodec.appendVarint(UInt64(bytes.count), to: &out)
            out += bytes
        }
        SweepFrameCodec.appendVarint(UInt64(samples.count), to: &out)
        return out + body
    }

    static func decode(_ bytes: [UInt8]) throws -> [LatencySample] {
        guard bytes.first == Self.version else { throw CodecError(message: "unknown version \(bytes.first.map(String.init) ?? "none")") }
        var index = 1
        let stringCount = Int(try SweepFrameCodec.readVarint(bytes, &index))
        guard stringCount <= bytes.count else { throw CodecError(message: "string table larger than the batch") }
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount {
            let length = Int(try SweepFrameCodec.readVarint(bytes, &index))
            guard length >= 0, index + length <= bytes.count else { throw CodecError(message: "string beyond the batch") }
            strings.append(String(decoding: bytes[index..<(index + length)], as: UTF8.self))
            index += length
        }
        func string() throws -> String {
            let id = Int(try SweepFrameCodec.readVarint(bytes, &index))
            guard id < strings.count else { throw CodecError(message: "string \(id) not in the table") }
            return strings[id]
        }
        func double() throws -> Double {
            guard index + 8 <= bytes.count else { throw CodecError(message: "truncated number") }
            var bits: UInt64 = 0
            for offset in 0..<8 { bits |= UInt64(bytes[index + offset]) << (8 * offset) }
            index += 8
            return Double(bitPattern: bits)
        }
        let count = Int(try SweepFrameCodec.readVarint(bytes, &index))
        guard count <= bytes.count else { throw CodecError(message: "sample count larger than the batch") }
        var samples: [LatencySample] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let group = try string(), server = try string()
            guard index < bytes.count else { throw CodecError(message: "truncated sample") }
            let flags = bytes[index]
            index += 1
            let source: LatencySample.Source
            switch flags & 3 {
            case 0: source = .probe
            case 1: source = .scrape
            case 2: source = .push
            default: throw CodecError(message: "bad source")
            }
            let outcome: LatencySample.Outcome
            switch (flags >> 2) & 3 {
            case 0: outcome = .success
            case 1: outcome = .timeout
            case 2: outcome = .error(try string())
            default: throw CodecError(message: "bad outcome")
            }
            let seconds = try double()
            let serverSeconds = flags & (1 << 4) != 0 ? try double() : nil
            let at = try double()
            let recorded = flags & (1 << 5) != 0 ? try double() : nil
            samples.append(LatencySample(group: group, server: server, source: source, seconds: seconds, serverSeconds: serverSeconds,
                                         outcome: outcome, atSeconds: at, recordedAtSeconds: recorded))
        }
        guard index == bytes.count else { throw CodecError(message: "\(bytes.count - index) bytes after the last sample") }
        return samples
    }

    private static func append(_ value: Double, to out: inout [UInt8]) {
        let bits = value.bitPattern
        for offset in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * offset))) }
    }
}
