import Foundation

/// A point in time on the command line: RFC 3339 (`2026-12-01T09:00:00Z`), Unix seconds (`1764579600`), `now`, or
/// a duration ago (`2h ago`, `90m ago`, `1d12h ago`), as below's `replay -t` accepts.
enum TimeExpression {
    static func seconds(_ text: String, now: Double = Date().timeIntervalSince1970) -> Double? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "now" { return now }
        if text.hasSuffix(" ago"), let duration = DurationParser.seconds(String(text.dropLast(4))), duration >= 0 {
            return now - duration
        }
        if let unix = Double(text), unix.isFinite { return unix }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        }
        return nil
    }

    /// RFC 3339 in UTC with milliseconds, for output.
    static func format(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
