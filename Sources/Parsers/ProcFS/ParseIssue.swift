/// A line of a kernel file that did not have the expected shape.
///
/// Parsers keep every good line and report the bad ones, so one odd line never loses the rest of the file.
public struct ParseIssue: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The file, as opened (under the configured root).
    public var path: String
    /// 1-based line number.
    public var line: Int
    public var message: String

    public var description: String { "\(self.path):\(self.line): \(self.message)" }
}
