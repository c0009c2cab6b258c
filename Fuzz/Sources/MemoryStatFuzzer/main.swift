import Detectors
import FuzzSupport
import Parsers

// cgroup memory.stat, read as CgroupMemoryReader reads it: only kept keys, into their MemoryStat slots.
// The first byte picks v1 or v2 naming.
Fuzz.run { bytes in
    guard let first = bytes.first else { return }
    let keys = first & 1 == 0 ? MemoryStatKeys.v2 : MemoryStatKeys.v1
    let body = UnsafeBufferPointer(rebasing: bytes[1...])
    var calls = 0
    var kept = 0
    _ = KeyValueParser.scan(body, path: "memory.stat") { key, _ in
        calls += 1
        if keys.key(key) != nil { kept += 1 }
    }
    let parsed = MemoryStatParser.parse(body, path: "memory.stat", keys: keys)
    Fuzz.require(parsed.stat.count <= kept && kept <= calls, "more kept keys than kept lines")
    // v2 keys are kept under their own names; v1 keys are always translated (a raw `total_*` name never maps to
    // itself, and `swap` only comes from v1's `total_swap`).
    parsed.stat.forEach { key, _ in
        let own = Array(key.name.utf8).withUnsafeBufferPointer { MemoryStatKeys.v2.key($0) }
        if first & 1 == 0 {
            Fuzz.require(own == key, "kept key \(key.name) is not a v2 memory.stat name")
        } else {
            Fuzz.require(key == .swap || own == key, "v1 key \(key.name) kept under no v2 name")
        }
    }
    Fuzz.require(parsed.issues.allSatisfy { $0.line >= 1 }, "issue without a line: \(parsed.issues)")
}
