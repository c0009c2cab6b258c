import Foundation

/// A token, password or key kept in a file named by the config: read whole, surrounding whitespace trimmed, never
/// empty. A problem is a ``ConfigError`` at the config line that named the file.
enum SecretFile {
    /// - Parameter key: the config key, as the error shows it (`push.bearer_token_file`).
    static func read(_ path: String, key: String, file: String, line: Int) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: file, line: line, message: "\(key): cannot read \(path): \(error.localizedDescription)")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw ConfigError(file: file, line: line, message: "\(key): \(path) is empty") }
        return secret
    }
}
