/// How a ``Sweep`` is stored compactly: its JSON split into a *template* (the text with every number taken out,
/// shared by every sweep whose names and structure are the same) and its *numbers*, each coded as the difference
/// from the same number in the previous sweep of the chain. A quiet host changes few numbers between two sweeps, so
/// most differences are zero and the zstd-compressed frame is a few bytes per hundred values.
///
/// Exact: numbers stay text until they are parsed as `UInt64` (counters, bytes), negative `Int64`, or kept as their
/// text (fractions, exponents), so a counter near `UInt64.max` or a value like `1.53` reads back digit for digit.
/// The chain starts at a keyframe (absolute values); a frame whose template differs from the previous one's is
/// always a keyframe.
enum SweepFrameCodec {
    /// Marks where a number stood in the template. JSON escapes control characters inside strings, so the byte never
    /// occurs in a template otherwise.
    static let numberMark: UInt8 = 0x01

    enum Number: Equatable, Sendable {
        case unsigned(UInt64)
        /// A negative integer, by magnitude.
        case negative(UInt64)
        /// Anything else (fractions, exponents), as written.
        case text([UInt8])
    }

    struct CodecError: Error, CustomStringConvertible {
        var message: String
        var description: String { "stored sweep frame: \(self.message)" }
    }

    // MARK: Splitting and joining

    /// Splits encoded JSON into its template and its numbers, in order.
    static func split(_ json: [UInt8]) -> (template: [UInt8], numbers: [Number]) {
        var template: [UInt8] = []
        template.reserveCapacity(json.count / 2)
        var numbers: [Number] = []
        var index = 0
        var inString = false
        while index < json.count {
            let byte = json[index]
            if inString {
                template.append(byte)
                if byte == UInt8(ascii: "\\"), index + 1 < json.count {
                    template.append(json[index + 1])
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
                template.append(byte)
                index += 1
                continue
            }
            if byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) {
                var end = index + 1
                while end < json.count, Self.isNumberByte(json[end]) { end += 1 }
                numbers.append(Self.number(json[index..<end]))
                template.append(Self.numberMark)
                index = end
                continue
            }
            template.append(byte)
            index += 1
        }
        return (template, numbers)
    }

    /// Puts the numbers back into the template.
    static func join(template: [UInt8], numbers: [Number]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(template.count + numbers.count * 8)
        var next = 0
        for byte in template {
            guard byte == Self.numberMark else {
                out.append(byte)
                continue
            }
            guard next < numbers.count else { throw CodecError(message: "template has more numbers than the frame") }
            switch numbers[next] {
            case .unsigned(let value): out += Array(String(value).utf8)
            case .negative(let magnitude): out += Array(("-" + String(magnitude)).utf8)
            case .text(let text): out += text
            }
            next += 1
        }
        guard next == numbers.count else { throw CodecError(message: "frame has more numbers than its template") }
        return out
    }

    // MARK: Frames

    private enum Tag: UInt8 {
        /// Difference from the previous frame's unsigned value at the same place (zigzag varint).
        case delta = 0
        case unsigned = 1
        case negative = 2
        case text = 3
    }

    /// Codes `numbers` against `previous` (the previous frame of the chain, same template), or absolutely when
    /// `previous` is `nil` (a keyframe).
    static func encodeFrame(_ numbers: [Number], previous: [Number]?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(numbers.count * 2 + 4)
        Self.appendVarint(UInt64(numbers.count), to: &out)
        for (index, number) in numbers.enumerated() {
            switch number {
            case .unsigned(let value):
                if let previous, index < previous.count, case .unsigned(let before) = previous[index] {
                    out.append(Tag.delta.rawValue)
                    let difference = Int64(bitPattern: value &- before)
                    Self.appendVarint(UInt64(bitPattern: (difference << 1) ^ (difference >> 63)), to: &out)
                } else {
                    out.append(Tag.unsigned.rawValue)
                    Self.appendVarint(value, to: &out)
                }
            case .negative(let magnitude):
                out.append(Tag.negative.rawValue)
                Self.appendVarint(magnitude, to: &out)
            case .text(let text):
                out.append(Tag.text.rawValue)
                Self.appendVarint(UInt64(text.count), to: &out)
                out += text
            }
        }
        return out
    }

    static func decodeFrame(_ bytes: [UInt8], previous: [Number]?) throws -> [Number] {
        var index = 0
        let count = try Self.readVarint(bytes, &index)
        guard count <= UInt64(bytes.count) else { throw CodecError(message: "number count \(count) beyond the frame") }
        var numbers: [Number] = []
        numbers.reserveCapacity(Int(count))
        for position in 0..<Int(count) {
            guard index < bytes.count, let tag = Tag(rawValue: bytes[index]) else {
                throw CodecError(message: "bad tag at byte \(index)")
            }
            index += 1
            switch tag {
            case .delta:
                guard let previous, position < previous.count, case .unsigned(let before) = previous[position] else {
                    throw CodecError(message: "difference without a previous value at number \(position)")
                }
                let zigzag = try Self.readVarint(bytes, &index)
                let difference = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
                numbers.append(.unsigned(before &+ UInt64(bitPattern: difference)))
            case .unsigned:
                numbers.append(.unsigned(try Self.readVarint(bytes, &index)))
            case .negative:
                numbers.append(.negative(try Self.readVarint(bytes, &index)))
            case .text:
                let length = Int(try Self.readVarint(bytes, &index))
                guard length >= 0, index + length <= bytes.count else { throw CodecError(message: "text beyond the frame") }
                numbers.append(.text(Array(bytes[index..<(index + length)])))
                index += length
            }
        }
        guard index == bytes.count else { throw CodecError(message: "\(bytes.count - index) bytes after the last number") }
        return numbers
    }

    // MARK: Helpers

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
            || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }

    private static func number(_ text: ArraySlice<UInt8>) -> Number {
        let negative = text.first == UInt8(ascii: "-")
        let digits = negative ? text.dropFirst() : text
        // Integers only, without leading zeros (so the text reads back exactly); anything else stays text.
        if !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
           digits.count == 1 || digits.first != UInt8(ascii: "0"),
           let value = UInt64(String(decoding: digits, as: UTF8.self)) {
            return negative ? (value == 0 ? .text(Array(text)) : .negative(value)) : .unsigned(value)
        }
        return .text(Array(text))
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    static func readVarint(_ bytes: [UInt8], _ index: inout Int) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            guard shift < 64 else { break }
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw CodecError(message: "truncated varint")
    }
}
