/// A problem in the config file, always naming the file and line.
struct ConfigError: Error, Equatable, CustomStringConvertible {
    var file: String
    /// 1-based line; 0 when the whole file is at fault (unreadable, empty of a mapping).
    var line: Int
    var message: String

    var description: String {
        self.line > 0 ? "\(self.file):\(self.line): \(self.message)" : "\(self.file): \(self.message)"
    }
}
