import Detectors

/// Parser for pressure stall information: `/proc/pressure/{memory,cpu,io}` and cgroup v2 `*.pressure`.
///
/// Format (Documentation/accounting/psi.rst):
/// ```
/// some avg10=0.00 avg60=0.00 avg300=0.00 total=0
/// full avg10=0.00 avg60=0.00 avg300=0.00 total=0
/// ```
/// A line of another kind is ignored, as prometheus/procfs does (`proc_psi.go`): a kernel may add kinds. A `some` or
/// `full` line in the wrong shape is an issue, and so is an average that is not a percentage (the kernel prints
/// 0.00 to 100.00; `nan`, `-1` or `200` would otherwise reach the detectors as a stall share).
public enum PSIParser {
    private static let some = Array("some".utf8)
    private static let full = Array("full".utf8)

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, path: String) -> (stats: PSIStats?, issues: [ParseIssue]) {
        var someLine: PSILine?
        var fullLine: PSILine?
        var issues: [ParseIssue] = []
        LineScanner.forEachLine(bytes) { number, line in
            let fields = LineScanner.fields(line, limit: 6)
            if fields.isEmpty { return }
            let isSome = LineScanner.equals(fields[0], self.some)
            guard isSome || LineScanner.equals(fields[0], self.full) else { return }
            guard fields.count == 5, let parsed = self.parseLine(fields) else {
                issues.append(ParseIssue(path: path, line: number,
                                         message: "expected \"some|full avg10=X avg60=X avg300=X total=N\", got \"\(LineScanner.string(line))\""))
                return
            }
            if isSome { someLine = parsed } else { fullLine = parsed }
        }
        guard let someLine else {
            if issues.isEmpty {
                issues.append(ParseIssue(path: path, line: 1, message: "no \"some\" line"))
            }
            return (nil, issues)
        }
        return (PSIStats(some: someLine, full: fullLine), issues)
    }

    private static func parseLine(_ fields: [UnsafeBufferPointer<UInt8>]) -> PSILine? {
        guard let avg10 = self.value(fields[1], key: "avg10").flatMap(LineScanner.double),
              let avg60 = self.value(fields[2], key: "avg60").flatMap(LineScanner.double),
              let avg300 = self.value(fields[3], key: "avg300").flatMap(LineScanner.double),
              let total = self.value(fields[4], key: "total").flatMap(LineScanner.unsigned),
              [avg10, avg60, avg300].allSatisfy({ (0...100).contains($0) })
        else { return nil }
        return PSILine(avg10Percent: avg10, avg60Percent: avg60, avg300Percent: avg300, totalMicroseconds: total)
    }

    private static func value(_ field: UnsafeBufferPointer<UInt8>, key: String) -> UnsafeBufferPointer<UInt8>? {
        let keyBytes = Array(key.utf8)
        guard field.count > keyBytes.count + 1, field[keyBytes.count] == UInt8(ascii: "=") else { return nil }
        for i in 0..<keyBytes.count where field[i] != keyBytes[i] { return nil }
        return UnsafeBufferPointer(rebasing: field[(keyBytes.count + 1)...])
    }
}
