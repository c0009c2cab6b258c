import Detectors

/// Parser for a cgroup's `memory.stat`, keeping the ``MemoryStatKeys`` counters straight from the bytes.
///
/// Format (Documentation/admin-guide/cgroup-v2.rst, "memory.stat"; v1 adds `total_*` hierarchical lines):
/// ```
/// anon 1298321408
/// file 8388608
/// total_rss 251658240
/// ```
/// Lines the kernel adds in another shape are skipped unless their key is one we keep (see ``KeyValueParser``).
public enum MemoryStatParser {
    /// - Parameter path: named in issues; only evaluated when there is one.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, path: @autoclosure () -> String,
                             keys: MemoryStatKeys) -> (stat: MemoryStat, issues: [ParseIssue]) {
        var stat = MemoryStat()
        var issues: [ParseIssue] = []
        let isKnown = { (raw: UnsafeBufferPointer<UInt8>) in keys.key(raw) != nil }
        let count = bytes.count
        var index = 0, number = 0
        // One pass per line over its bytes: the key up to its space, then the digits up to the newline. A 1000-cgroup
        // sweep parses 40,000 to 70,000 of these lines, so separate passes for the newline, the key and the value
        // were most of the parse. A line in any other shape gets ``KeyValueParser``'s rule for it.
        while index < count {
            number += 1
            let start = index
            while index < count && bytes[index] != LineScanner.space && bytes[index] != LineScanner.tab
                && bytes[index] != LineScanner.newline { index += 1 }
            let keyEnd = index
            let keySpace = keyEnd > start && keyEnd < count && bytes[keyEnd] == LineScanner.space
            if keySpace {
                index += 1
                let valueStart = index
                var value: UInt64 = 0
                var digits = true
                while index < count && bytes[index] != LineScanner.newline {
                    let digit = bytes[index] &- UInt8(ascii: "0")
                    let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
                    if digit >= 10 || o1 || o2 {
                        digits = false
                        break
                    }
                    value = sum
                    index += 1
                }
                if digits && index > valueStart {
                    if let key = keys.key(UnsafeBufferPointer(rebasing: bytes[start..<keyEnd])) { stat[key] = value }
                    index += 1
                    continue
                }
            }
            while index < count && bytes[index] != LineScanner.newline { index += 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            // An unknown key that is exactly the line's first field (no leading blank, no tab): the general rule
            // skips such a line whatever its shape.
            if keySpace && keys.key(UnsafeBufferPointer(rebasing: bytes[start..<keyEnd])) == nil { continue }
            KeyValueParser.scanLine(line, number: number, path: path, isKnown: isKnown, { raw, value in
                if let key = keys.key(raw) { stat[key] = value }
            }, issues: &issues)
        }
        return (stat, issues)
    }
}
