import FuzzSupport
import Parsers

// cgroup memory.stat, read as CgroupMemoryReader reads it: only kept keys, under their canonical (v2) names.
// The first byte picks v1 or v2 naming.
Fuzz.run { bytes in
    guard let first = bytes.first else { return }
    let keys = first & 1 == 0 ? MemoryStatKeys.v2 : MemoryStatKeys.v1
    let body = UnsafeBufferPointer(rebasing: bytes[1...])
    var stat: [String: UInt64] = [:]
    var calls = 0
    let issues = KeyValueParser.scan(body, path: "memory.stat", isKnown: { keys.canonical($0) != nil }) { key, value in
        calls += 1
        if let name = keys.canonical(key) { stat[name] = value }
    }
    Fuzz.require(stat.count <= calls, "more kept keys than lines")
    // v2 keys are kept under their own names; v1 keys are always translated (a raw `total_*` name never leaks).
    for name in stat.keys {
        if first & 1 == 0 {
            let known = Array(name.utf8).withUnsafeBufferPointer { MemoryStatKeys.v2.canonical($0) }
            Fuzz.require(known == name, "kept key \(name) is not a v2 memory.stat name")
        } else {
            Fuzz.require(!name.hasPrefix("total_"), "v1 key \(name) kept untranslated")
        }
    }
    Fuzz.require(issues.allSatisfy { $0.line >= 1 }, "issue without a line: \(issues)")
}
