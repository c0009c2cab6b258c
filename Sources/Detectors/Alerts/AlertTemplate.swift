/// `{{name}}` (or `{{ name }}`) placeholders filled from a dictionary; an unknown name renders as empty, so a
/// template written for one condition never fails on another. No Foundation: the library has none.
public enum AlertTemplate {
    public static func render(_ template: String, _ values: [String: String]) -> String {
        let bytes = Array(template.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{"),
               let close = Self.find(bytes, from: index + 2) {
                var name = bytes[(index + 2)..<close]
                while name.first == UInt8(ascii: " ") { name = name.dropFirst() }
                while name.last == UInt8(ascii: " ") { name = name.dropLast() }
                out += Array((values[String(decoding: name, as: UTF8.self)] ?? "").utf8)
                index = close + 2
                continue
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Index of the next `}}` at or after `from`.
    private static func find(_ bytes: [UInt8], from: Int) -> Int? {
        var index = from
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "}") && bytes[index + 1] == UInt8(ascii: "}") { return index }
            index += 1
        }
        return nil
    }
}
