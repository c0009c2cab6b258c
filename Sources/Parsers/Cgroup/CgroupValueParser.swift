/// Parsers for single-value cgroup files: `memory.current`, `memory.usage_in_bytes`, `memory.failcnt` (a number) and
/// the limit files `memory.max`, `memory.high`, `memory.limit_in_bytes` (a number, or `max`).
///
/// Format (Documentation/admin-guide/cgroup-v2.rst, "Memory Interface Files"):
/// ```
/// 1298321408
/// max
/// ```
public enum CgroupValueParser {
    /// v1 reports "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages); anything that large
    /// is unlimited whatever the page size.
    public static let v1UnlimitedThreshold: UInt64 = 1 << 62

    private static let max = Array("max".utf8)

    /// An unsigned integer; `nil` and an issue naming `path` otherwise (`path` is only evaluated then).
    public static func unsigned(_ bytes: UnsafeBufferPointer<UInt8>, path: @autoclosure () -> String) -> (value: UInt64?, issue: ParseIssue?) {
        let text = LineScanner.trimmed(bytes)
        if let value = LineScanner.unsigned(text) { return (value, nil) }
        return (nil, ParseIssue(path: path(), line: 1,
                                message: "expected an unsigned integer, got \"\(LineScanner.string(text))\""))
    }

    /// A limit: `nil` when unlimited (`max`, or a v1 value at or above ``v1UnlimitedThreshold``) or malformed (with
    /// an issue).
    public static func limit(_ bytes: UnsafeBufferPointer<UInt8>, path: @autoclosure () -> String) -> (value: UInt64?, issue: ParseIssue?) {
        let text = LineScanner.trimmed(bytes)
        if LineScanner.equals(text, self.max) { return (nil, nil) }
        guard let value = LineScanner.unsigned(text) else {
            return (nil, ParseIssue(path: path(), line: 1,
                                    message: "expected an unsigned integer or \"max\", got \"\(LineScanner.string(text))\""))
        }
        return (value >= self.v1UnlimitedThreshold ? nil : value, nil)
    }
}
