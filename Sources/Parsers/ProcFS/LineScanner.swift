/// Byte-level helpers for the `key value` files the kernel writes (`meminfo`, `vmstat`, `memory.stat`, PSI).
///
/// Parsing bytes directly, instead of splitting `String`s, keeps a 1000-cgroup sweep cheap: no allocation per line
/// unless a key is kept.
public enum LineScanner {
    public static let space = UInt8(ascii: " ")
    public static let tab = UInt8(ascii: "\t")
    public static let newline = UInt8(ascii: "\n")
    public static let colon = UInt8(ascii: ":")

    /// Calls `body(lineNumber, line)` for every line (without its newline); a final line without newline counts.
    @inline(__always)
    public static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        var start = 0
        var number = 0
        let count = bytes.count
        var index = 0
        while index < count {
            if bytes[index] == newline {
                number += 1
                try body(number, UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
            }
            index += 1
        }
        if start < count {
            number += 1
            try body(number, UnsafeBufferPointer(rebasing: bytes[start..<count]))
        }
    }

    /// Splits a line into whitespace-separated fields (at most `limit`).
    public static func fields(_ line: UnsafeBufferPointer<UInt8>, limit: Int = 8) -> [UnsafeBufferPointer<UInt8>] {
        var result: [UnsafeBufferPointer<UInt8>] = []
        var index = 0
        let count = line.count
        while index < count && result.count < limit {
            while index < count && (line[index] == space || line[index] == tab) { index += 1 }
            let start = index
            while index < count && line[index] != space && line[index] != tab { index += 1 }
            if index > start { result.append(UnsafeBufferPointer(rebasing: line[start..<index])) }
        }
        return result
    }

    /// Parses a non-negative decimal integer filling the whole buffer; `nil` on anything else (sign, overflow, junk).
    @inline(__always)
    public static func unsigned(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard bytes.count > 0 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    /// Whitespace-separated fields of a line, one at a time, with no array (see ``fields(_:limit:)``).
    public struct Fields: IteratorProtocol {
        private let line: UnsafeBufferPointer<UInt8>
        private var index = 0

        public init(_ line: UnsafeBufferPointer<UInt8>) { self.line = line }

        @inline(__always)
        public mutating func next() -> UnsafeBufferPointer<UInt8>? {
            let count = self.line.count
            while self.index < count && (self.line[self.index] == space || self.line[self.index] == tab) { self.index += 1 }
            let start = self.index
            while self.index < count && self.line[self.index] != space && self.line[self.index] != tab { self.index += 1 }
            return self.index > start ? UnsafeBufferPointer(rebasing: self.line[start..<self.index]) : nil
        }
    }

    /// Parses a decimal number such as PSI's `0.25`.
    ///
    /// `digits[.digits]` with at most 15 digits (what the kernel prints) is computed as an integer over a power of
    /// ten: both are exact doubles, and IEEE division rounds correctly, so the result is the one `strtod` gives.
    /// Anything else (a sign, an exponent, `nan`) goes through `Double(String)`.
    public static func double(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard bytes.count > 0, bytes.count < 64 else { return nil }
        var mantissa: UInt64 = 0
        var digits = 0, fractionDigits = 0
        var point = false, simple = bytes.count <= 16
        for byte in bytes where simple {
            if byte == UInt8(ascii: ".") {
                if point || digits == 0 { simple = false }
                point = true
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else {
                simple = false
                break
            }
            mantissa = mantissa * 10 + UInt64(digit)
            digits += 1
            if point { fractionDigits += 1 }
        }
        if simple && digits > 0 && digits <= 15 && (!point || fractionDigits > 0) {
            return Double(mantissa) / Self.powersOfTen[fractionDigits]
        }
        return Double(String(decoding: bytes, as: UTF8.self))
    }

    private static let powersOfTen: [Double] = (0...16).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// Byte-wise equality with an ASCII literal's bytes.
    @inline(__always)
    public static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: [UInt8]) -> Bool {
        guard bytes.count == literal.count else { return false }
        for i in 0..<literal.count where bytes[i] != literal[i] { return false }
        return true
    }

    public static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Trims trailing spaces, tabs and newlines.
    public static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var end = bytes.count
        while end > 0 && (bytes[end - 1] == space || bytes[end - 1] == tab || bytes[end - 1] == newline) { end -= 1 }
        var start = 0
        while start < end && (bytes[start] == space || bytes[start] == tab) { start += 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }
}
