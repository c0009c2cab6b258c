import FuzzSupport
import Parsers

// cgroup memory.events (and v1 memory.oom_control): every key is known, so every malformed line is an issue.
Fuzz.run { bytes in
    let parsed = KeyValueParser.parse(bytes, path: "memory.events")
    let again = Array(parsed.values.map { "\($0.key) \($0.value)\n" }.joined().utf8).withUnsafeBufferPointer {
        KeyValueParser.parse($0, path: "memory.events")
    }
    Fuzz.require(again.values == parsed.values && again.issues.isEmpty, "memory.events round trip: \(parsed.values) -> \(again)")
    var lines = 0
    LineScanner.forEachLine(bytes) { _, _ in lines += 1 }
    Fuzz.require(parsed.values.count + parsed.issues.count <= lines, "more values and issues than lines")
}
