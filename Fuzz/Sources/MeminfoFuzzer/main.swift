import FuzzSupport
import Parsers

// /proc/meminfo. Round trip: the values written back as "Key: value" lines parse to the same values, no issues.
Fuzz.run { bytes in
    let parsed = MeminfoParser.parse(bytes, path: "/proc/meminfo")
    let again = Array(parsed.values.map { "\($0.key): \($0.value)\n" }.joined().utf8).withUnsafeBufferPointer {
        MeminfoParser.parse($0, path: "/proc/meminfo")
    }
    Fuzz.require(again.values == parsed.values && again.issues.isEmpty, "meminfo round trip: \(parsed.values) -> \(again)")
    Fuzz.require(parsed.issues.allSatisfy { $0.line >= 1 }, "issue without a line: \(parsed.issues)")
}
