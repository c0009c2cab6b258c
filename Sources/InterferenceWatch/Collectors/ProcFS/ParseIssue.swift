/// A line of a kernel file that did not have the expected shape.
///
/// Parsers keep every good line and report the bad ones, so one odd line never loses the rest of the file.
struct ParseIssue: Error, Equatable, Hashable, CustomStringConvertible {
    /// The file, as opened (under the configured root).
    var path: String
    /// 1-based line number.
    var line: Int
    var message: String

    var description: String { "\(self.path):\(self.line): \(self.message)" }
}
