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
/// A 1000-cgroup sweep parses 1000 of these, so fields are taken one at a time, with no array or string per line.
public enum PSIParser {
    private static let some = Array("some".utf8)
    private static let full = Array("full".utf8)
    private static let avg10 = Array("avg10=".utf8)
    private static let avg60 = Array("avg60=".utf8)
    private static let avg300 = Array("avg300=".utf8)
    private static let total = Array("total=".utf8)

    /// - Parameter path: named in issues; only evaluated when there is one.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>,
                             path: @autoclosure () -> String) -> (stats: PSIStats?, issues: [ParseIssue]) {
        var someLine: PSILine?
        var fullLine: PSILine?
        var issues: [ParseIssue] = []
        LineScanner.forEachLine(bytes) { number, line in
            var fields = LineScanner.Fields(line)
            guard let kind = fields.next() else { return }
            let isSome = LineScanner.equals(kind, self.some)
            guard isSome || LineScanner.equals(kind, self.full) else { return }
            guard let parsed = self.parseLine(&fields) else {
                issues.append(ParseIssue(path: path(), line: number,
                                         message: "expected \"some|full avg10=X avg60=X avg300=X total=N\", got \"\(LineScanner.string(line))\""))
                return
            }
            if isSome { someLine = parsed } else { fullLine = parsed }
        }
        guard let someLine else {
            if issues.isEmpty {
                issues.append(ParseIssue(path: path(), line: 1, message: "no \"some\" line"))
            }
            return (nil, issues)
        }
        return (PSIStats(some: someLine, full: fullLine), issues)
    }

    /// The four `key=value` fields after the kind, and nothing after them.
    private static func parseLine(_ fields: inout LineScanner.Fields) -> PSILine? {
        guard let avg10 = fields.next().flatMap({ self.value($0, key: self.avg10) }).flatMap(LineScanner.double),
              let avg60 = fields.next().flatMap({ self.value($0, key: self.avg60) }).flatMap(LineScanner.double),
              let avg300 = fields.next().flatMap({ self.value($0, key: self.avg300) }).flatMap(LineScanner.double),
              let total = fields.next().flatMap({ self.value($0, key: self.total) }).flatMap(LineScanner.unsigned),
              fields.next() == nil,
              (0...100).contains(avg10), (0...100).contains(avg60), (0...100).contains(avg300)
        else { return nil }
        return PSILine(avg10Percent: avg10, avg60Percent: avg60, avg300Percent: avg300, totalMicroseconds: total)
    }

    /// The bytes after `key` (which ends in `=`); `nil` when the field does not start with it or has no value.
    @inline(__always)
    private static func value(_ field: UnsafeBufferPointer<UInt8>, key: [UInt8]) -> UnsafeBufferPointer<UInt8>? {
        guard field.count > key.count else { return nil }
        for i in 0..<key.count where field[i] != key[i] { return nil }
        return UnsafeBufferPointer(rebasing: field[key.count...])
    }
}
