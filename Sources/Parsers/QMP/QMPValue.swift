import Foundation

/// A JSON value as QMP sends it, with integers kept exact.
///
/// QMP numbers are mostly unsigned 64-bit: the balloon driver's "no data" marker is `18446744073709551615`, which
/// does not fit `Int64` (decoding it as `Int64` with `JSONDecoder` fails the *whole* message with a misleading
/// "not valid JSON" error). So integers decode as ``unsigned(_:)`` first, then ``signed(_:)``, then ``double(_:)``.
public enum QMPValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case unsigned(UInt64)
    case signed(Int64)
    case double(Double)
    case string(String)
    case array([QMPValue])
    case object([String: QMPValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .unsigned(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .signed(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([QMPValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: QMPValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .signed(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The member `key` of an object, or `nil`.
    public subscript(key: String) -> QMPValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value as an unsigned integer (a non-negative signed one or a whole double also qualify).
    public var uint64: UInt64? {
        switch self {
        case .unsigned(let value): return value
        case .signed(let value): return value >= 0 ? UInt64(value) : nil
        case .double(let value): return value >= 0 && value < 1.8e19 && value == value.rounded() ? UInt64(value) : nil
        default: return nil
        }
    }

    /// The value as a floating-point number.
    public var double: Double? {
        switch self {
        case .unsigned(let value): return Double(value)
        case .signed(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var array: [QMPValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var object: [String: QMPValue]? {
        if case .object(let value) = self { return value }
        return nil
    }
}

extension QMPValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = value >= 0 ? .unsigned(UInt64(value)) : .signed(Int64(value)) }
    public init(dictionaryLiteral elements: (String, QMPValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
