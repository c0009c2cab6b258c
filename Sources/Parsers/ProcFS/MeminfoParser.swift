import Detectors

/// Parser for `/proc/meminfo`.
///
/// Format (Documentation/filesystems/proc.rst):
/// ```
/// MemTotal:       16384000 kB
/// HugePages_Total:       0
/// ```
/// Values with `kB` are KiB and become bytes; unit-less values (page counts) are kept as they are. A line in another
/// shape is an issue only for a key in `knownKeys` (one something reads); the kernel's new lines are skipped.
public enum MeminfoParser {
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, path: String,
                             knownKeys: Set<String> = ProcKeys.meminfo) -> (values: [String: UInt64], issues: [ParseIssue]) {
        var values: [String: UInt64] = [:]
        var issues: [ParseIssue] = []
        values.reserveCapacity(64)
        LineScanner.forEachLine(bytes) { number, line in
            let fields = LineScanner.fields(line, limit: 4)
            if fields.isEmpty { return }
            let keyField = fields[0]
            func isKnown() -> Bool {
                var key = LineScanner.string(keyField)
                if key.hasSuffix(":") { key.removeLast() }
                return knownKeys.contains(key)
            }
            guard keyField.count > 1, keyField[keyField.count - 1] == LineScanner.colon, fields.count >= 2,
                  fields.count <= 3, let value = LineScanner.unsigned(fields[1])
            else {
                guard isKnown() else { return }
                issues.append(ParseIssue(path: path, line: number,
                                         message: "expected \"Key: value [kB]\", got \"\(LineScanner.string(line))\""))
                return
            }
            var multiplier: UInt64 = 1
            if fields.count == 3 {
                guard LineScanner.equals(fields[2], Array("kB".utf8)) else {
                    guard isKnown() else { return }
                    issues.append(ParseIssue(path: path, line: number,
                                             message: "unknown unit \"\(LineScanner.string(fields[2]))\""))
                    return
                }
                multiplier = 1024
            }
            let key = LineScanner.string(UnsafeBufferPointer(rebasing: keyField[0..<(keyField.count - 1)]))
            let (bytesValue, overflow) = value.multipliedReportingOverflow(by: multiplier)
            if overflow {
                issues.append(ParseIssue(path: path, line: number, message: "value of \(key) overflows"))
                return
            }
            values[key] = bytesValue
        }
        return (values, issues)
    }
}
