import FuzzSupport
import Parsers

// /proc/vmstat. Round trip: the values written back as "key value" lines parse to the same values, no issues.
Fuzz.run { bytes in
    let parsed = KeyValueParser.parse(bytes, path: "/proc/vmstat", knownKeys: ProcKeys.vmstat)
    let again = Array(parsed.values.map { "\($0.key) \($0.value)\n" }.joined().utf8).withUnsafeBufferPointer {
        KeyValueParser.parse($0, path: "/proc/vmstat", knownKeys: ProcKeys.vmstat)
    }
    Fuzz.require(again.values == parsed.values && again.issues.isEmpty, "vmstat round trip: \(parsed.values) -> \(again)")
    for issue in parsed.issues {
        Fuzz.require(issue.line >= 1, "issue without a line: \(issue)")
    }
}
