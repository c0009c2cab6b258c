/// Parses W3C `Server-Timing` header values and picks out one metric's duration.
///
/// Grammar (w3c/server-timing `index.bs`):
/// ```
/// Server-Timing             = #server-timing-metric
/// server-timing-metric      = metric-name *( OWS ";" OWS server-timing-param )
/// server-timing-param       = server-timing-param-name OWS "=" OWS server-timing-param-value
/// server-timing-param-value = token / quoted-string
/// ```
/// Example: `Server-Timing: miss, db;dur=53, app;dur=47.2` / `task;desc="Write 30 MB";dur=1234.5`.
///
/// Follows the spec's processing: the field may repeat (each value is one more comma-separated list), commas and
/// semicolons inside quoted strings don't split, a metric whose name is not a token is skipped, parameter names
/// compare case-insensitively and the first occurrence wins, unknown parameters are ignored. One deliberate
/// difference: a `dur` that is not a finite non-negative number gives `nil`, not the spec's 0, because a made-up
/// zero server time would look like a real measurement to the detector.
public enum ServerTimingParser {
    public struct Metric: Sendable, Equatable {
        public var name: String
        /// `dur`, in milliseconds.
        public var durationMilliseconds: Double?
        public var description: String?
    }

    /// The project's convention: the server's own work time is `task;dur=<ms>`.
    public static let defaultMetricName = "task"

    /// Every well-formed metric in the header values, in order (duplicates kept).
    public static func parse(_ headerValues: [String]) -> [Metric] {
        var metrics: [Metric] = []
        for value in headerValues {
            for entry in self.split(Substring(value), on: ",") {
                if let metric = self.parseMetric(entry) { metrics.append(metric) }
            }
        }
        return metrics
    }

    /// The first `dur` of the metric called `name`, converted to seconds; `nil` when no such metric has a valid `dur`.
    public static func durationSeconds(named name: String = defaultMetricName, in headerValues: [String]) -> Double? {
        self.parse(headerValues).lazy.filter { $0.name == name }.compactMap(\.durationMilliseconds).first.map { $0 / 1000 }
    }

    // MARK: - Private

    private static func parseMetric(_ text: Substring) -> Metric? {
        var parts = self.split(text, on: ";")[...]
        guard let first = parts.popFirst() else { return nil }
        let name = self.trimmed(first)
        guard !name.isEmpty, name.utf8.allSatisfy(self.isTokenByte) else { return nil }
        var metric = Metric(name: String(name))
        var seen: Set<String> = []
        for part in parts {
            let param = self.trimmed(part)
            let nameEnd = param.firstIndex(of: "=") ?? param.endIndex
            let paramName = self.trimmed(param[..<nameEnd]).lowercased()
            guard !paramName.isEmpty, paramName.utf8.allSatisfy(self.isTokenByte), seen.insert(paramName).inserted else {
                continue
            }
            let rawValue = nameEnd < param.endIndex ? self.trimmed(param[param.index(after: nameEnd)...]) : ""
            guard let value = self.unquote(rawValue) else { continue }
            switch paramName {
            case "dur":
                if let ms = Double(value), ms.isFinite, ms >= 0, !value.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }) {
                    metric.durationMilliseconds = ms
                }
            case "desc":
                metric.description = value
            default:
                break
            }
        }
        return metric
    }

    /// A token as is, or a quoted string with its escapes removed; `nil` for anything else (half-quoted, spaces).
    private static func unquote(_ text: Substring) -> String? {
        guard text.first == "\"" else {
            return text.utf8.allSatisfy(self.isTokenByte) ? String(text) : nil
        }
        var result = ""
        var escaped = false
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let c = text[index]
            if escaped {
                result.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                // Anything after the closing quote makes the value malformed.
                return text.index(after: index) == text.endIndex ? result : nil
            } else {
                result.append(c)
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// Splits on a separator outside quoted strings.
    private static func split(_ text: Substring, on separator: Character) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var inQuotes = false
        var escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if inQuotes {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inQuotes = false }
            } else if c == "\"" {
                inQuotes = true
            } else if c == separator {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        parts.append(text[start...])
        return parts
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isOWS($0) }) else { return text[text.endIndex...] }
        let last = text.lastIndex(where: { !isOWS($0) })!
        return text[first...last]
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
