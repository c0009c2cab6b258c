/// Parser for flat `key value` files: `/proc/vmstat`, cgroup `memory.stat`, `memory.events`, `memory.oom_control`.
///
/// Format:
/// ```
/// pgmajfault 1296
/// workingset_refault_file 111764
/// ```
enum KeyValueParser {
    /// Parses every line into the dictionary.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, path: String) -> (values: [String: UInt64], issues: [ParseIssue]) {
        var values: [String: UInt64] = [:]
        values.reserveCapacity(128)
        let issues = self.scan(bytes, path: path) { key, value in
            values[LineScanner.string(key)] = value
        }
        return (values, issues)
    }

    /// Parses every line and hands the key's bytes and value to `body`, without allocating for unwanted keys.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, path: String,
                     _ body: (UnsafeBufferPointer<UInt8>, UInt64) -> Void) -> [ParseIssue] {
        var issues: [ParseIssue] = []
        LineScanner.forEachLine(bytes) { number, line in
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
            issues.append(ParseIssue(path: path, line: number,
                                     message: "expected \"key value\", got \"\(LineScanner.string(line))\""))
        }
        return issues
    }
}
