/// Parser for flat `key value` files: `/proc/vmstat`, cgroup `memory.stat`, `memory.events`, `memory.oom_control`.
///
/// The kernel adds keys over time, and a line it adds in a shape we do not expect must not count as a broken file
/// (prometheus/procfs ignores what it does not know the same way). So a line that is not `key value` is an issue
/// only when its key is one we read (`isKnown`); any other such line is skipped. Well-formed lines are always kept.
///
/// Format:
/// ```
/// pgmajfault 1296
/// workingset_refault_file 111764
/// ```
public enum KeyValueParser {
    /// Parses every line into the dictionary.
    ///
    /// - Parameter knownKeys: keys whose malformed lines are issues; `nil` means every key (small fixed files).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, path: String,
                             knownKeys: Set<String>? = nil) -> (values: [String: UInt64], issues: [ParseIssue]) {
        var values: [String: UInt64] = [:]
        values.reserveCapacity(128)
        let isKnown: (UnsafeBufferPointer<UInt8>) -> Bool = { key in knownKeys?.contains(LineScanner.string(key)) ?? true }
        let issues = self.scan(bytes, path: path, isKnown: isKnown) { key, value in
            values[LineScanner.string(key)] = value
        }
        return (values, issues)
    }

    /// Parses every line and hands the key's bytes and value to `body`, without allocating for unwanted keys.
    ///
    /// - Parameters:
    ///   - path: named in issues; only evaluated when there is one.
    ///   - isKnown: whether a malformed line with this key is an issue (see the type's comment).
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>, path: @autoclosure () -> String,
                            isKnown: (UnsafeBufferPointer<UInt8>) -> Bool = { _ in true },
                            _ body: (UnsafeBufferPointer<UInt8>, UInt64) -> Void) -> [ParseIssue] {
        var issues: [ParseIssue] = []
        LineScanner.forEachLine(bytes) { number, line in
            self.scanLine(line, number: number, path: path, isKnown: isKnown, body, issues: &issues)
        }
        return issues
    }

    /// One line of ``scan(_:path:isKnown:_:)``.
    @inline(__always)
    static func scanLine(_ line: UnsafeBufferPointer<UInt8>, number: Int, path: () -> String,
                         isKnown: (UnsafeBufferPointer<UInt8>) -> Bool, _ body: (UnsafeBufferPointer<UInt8>, UInt64) -> Void,
                         issues: inout [ParseIssue]) {
        // Fast path: "key value" with exactly one space, which is what the kernel writes.
        var split = -1
        for i in 0..<line.count where line[i] == LineScanner.space {
            split = i
            break
        }
        if split > 0, let value = LineScanner.unsigned(UnsafeBufferPointer(rebasing: line[(split + 1)...])) {
            body(UnsafeBufferPointer(rebasing: line[0..<split]), value)
            return
        }
        let fields = LineScanner.fields(line, limit: 3)
        if fields.isEmpty { return }
        if fields.count == 2, let value = LineScanner.unsigned(fields[1]) {
            body(fields[0], value)
            return
        }
        guard isKnown(fields[0]) else { return }
        issues.append(ParseIssue(path: path(), line: number,
                                 message: "expected \"key value\", got \"\(LineScanner.string(line))\""))
    }
}
