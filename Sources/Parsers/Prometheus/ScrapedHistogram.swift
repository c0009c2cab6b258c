/// One histogram as read from a server's Prometheus text exposition, summed over the series that match.
///
/// Only the lines of the configured metric are read; everything else in the page is skipped unparsed, so an odd
/// line elsewhere cannot break the scrape. Example input:
/// ```
/// # TYPE http_request_duration_seconds histogram
/// http_request_duration_seconds_bucket{handler="/task",method="GET",le="0.5"} 12
/// http_request_duration_seconds_bucket{handler="/task",method="GET",le="+Inf"} 14
/// http_request_duration_seconds_sum{handler="/task",method="GET"} 6.25
/// http_request_duration_seconds_count{handler="/task",method="GET"} 14
/// ```
/// Format: prometheus/docs `content/docs/instrumenting/exposition_formats.md` (text format 0.0.4); OpenMetrics
/// exemplars (`... 14 # {trace_id="x"} 0.4`) and a trailing timestamp are tolerated and ignored.
public struct ScrapedHistogram: Sendable, Equatable {
    public struct Bucket: Sendable, Equatable {
        /// `le`; the last bucket is `+Inf`.
        public var upperBound: Double
        /// Cumulative count, as exposed.
        public var count: Double

        public init(upperBound: Double, count: Double) {
            self.upperBound = upperBound
            self.count = count
        }
    }

    /// Sorted by upper bound, ending with `+Inf`.
    public var buckets: [Bucket]
    public var sum: Double
    public var count: Double

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        /// 1-based line of the exposition; 0 when the page as a whole is at fault (metric missing, no `+Inf`).
        public var line: Int
        public var message: String

        public var description: String { self.line > 0 ? "line \(self.line): \(self.message)" : self.message }
    }

    /// Reads `<metric>_bucket`, `_sum` and `_count` of the series whose labels include all of `labels`.
    ///
    /// Matching series are added together bucket by bucket (e.g. across `method` or `code`).
    /// - Throws: ``ParseError`` for a malformed line of the metric, a missing metric or a histogram without `+Inf`.
    public static func parse(_ text: String, metric: String, labels wanted: [String: String] = [:]) throws(ParseError) -> ScrapedHistogram {
        var buckets: [Double: Double] = [:]
        var sum = 0.0
        var count: Double?
        var matched = false
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so it has to be named as a separator of its own.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            guard line.hasPrefix(metric) else { continue }
            let rest = line.dropFirst(metric.utf8.count)
            let suffix: String
            if rest.hasPrefix("_bucket") { suffix = "_bucket" }
            else if rest.hasPrefix("_sum") { suffix = "_sum" }
            else if rest.hasPrefix("_count") { suffix = "_count" }
            else { continue }
            let afterName = rest.dropFirst(suffix.count)
            // `foo_bucket_total` is another metric; only `{` or a blank ends the name.
            guard let next = afterName.first, next == "{" || next == " " || next == "\t" else { continue }
            let (labels, value) = try self.parseSample(afterName, line: lineNumber)
            guard wanted.allSatisfy({ labels[$0.key] == $0.value }) else { continue }
            matched = true
            switch suffix {
            case "_bucket":
                guard let le = labels["le"] else { throw ParseError(line: lineNumber, message: "bucket without an \"le\" label") }
                guard let bound = self.parseValue(Substring(le)), !bound.isNaN else {
                    throw ParseError(line: lineNumber, message: "bucket bound le=\"\(le)\" is not a number")
                }
                buckets[bound, default: 0] += value
            case "_sum":
                sum += value
            default:
                count = (count ?? 0) + value
            }
        }
        guard matched else {
            let selector = wanted.isEmpty ? "" : "{" + wanted.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"
            throw ParseError(line: 0, message: "no series of histogram \(metric)\(selector)")
        }
        let sorted = buckets.sorted { $0.key < $1.key }.map { Bucket(upperBound: $0.key, count: $0.value) }
        guard let last = sorted.last, last.upperBound == .infinity else {
            throw ParseError(line: 0, message: "histogram \(metric) has no le=\"+Inf\" bucket")
        }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.count < a.count {
            throw ParseError(line: 0, message: "histogram \(metric): bucket le=\"\(b.upperBound)\" has fewer observations than le=\"\(a.upperBound)\"")
        }
        return ScrapedHistogram(buckets: sorted, sum: sum, count: count ?? last.count)
    }

    /// Parses `{a="b",...} value [timestamp]` (the part after the metric name).
    private static func parseSample(_ text: Substring, line: Int) throws(ParseError) -> ([String: String], Double) {
        var labels: [String: String] = [:]
        var index = text.startIndex
        if text[index] == "{" {
            index = text.index(after: index)
            while true {
                while index < text.endIndex, text[index] == " " { index = text.index(after: index) }
                guard index < text.endIndex else { throw ParseError(line: line, message: "unterminated label set") }
                if text[index] == "}" { index = text.index(after: index); break }
                let nameStart = index
                while index < text.endIndex, text[index] != "=", text[index] != "}", text[index] != "," { index = text.index(after: index) }
                let name = String(text[nameStart..<index]).trimmingBlanks()
                guard !name.isEmpty, PrometheusNames.isLabelName(name) else {
                    throw ParseError(line: line, message: "invalid label name \"\(name)\"")
                }
                guard index < text.endIndex, text[index] == "=" else { throw ParseError(line: line, message: "label \(name) has no value") }
                index = text.index(after: index)
                guard index < text.endIndex, text[index] == "\"" else {
                    throw ParseError(line: line, message: "label \(name): value must be in double quotes")
                }
                index = text.index(after: index)
                var value = ""
                var closed = false
                while index < text.endIndex {
                    let c = text[index]
                    index = text.index(after: index)
                    if c == "\\" {
                        guard index < text.endIndex else { break }
                        switch text[index] {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: throw ParseError(line: line, message: "label \(name): invalid escape \\\(text[index])")
                        }
                        index = text.index(after: index)
                    } else if c == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { throw ParseError(line: line, message: "label \(name): unterminated quoted value") }
                guard labels.updateValue(value, forKey: name) == nil else { throw ParseError(line: line, message: "label \(name) given twice") }
                while index < text.endIndex, text[index] == " " { index = text.index(after: index) }
                guard index < text.endIndex else { throw ParseError(line: line, message: "unterminated label set") }
                if text[index] == "," { index = text.index(after: index); continue }
                guard text[index] == "}" else { throw ParseError(line: line, message: "expected , or } after label \(name)") }
                index = text.index(after: index)
                break
            }
        }
        var rest = text[index...]
        // OpenMetrics exemplar.
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard (1...2).contains(fields.count) else {
            throw ParseError(line: line, message: fields.isEmpty ? "missing value" : "expected a value and an optional timestamp")
        }
        guard let value = self.parseValue(fields[0]) else { throw ParseError(line: line, message: "value \"\(fields[0])\" is not a number") }
        guard !value.isNaN, value >= 0 else { throw ParseError(line: line, message: "histogram value \(fields[0]) is negative or NaN") }
        return (labels, value)
    }

    /// Go's `strconv.ParseFloat` spellings as Prometheus writes them: `1.5`, `1e3`, `+Inf`, `-Inf`, `NaN`.
    public static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "+Inf", "Inf", "+inf", "inf": return .infinity
        case "-Inf", "-inf": return -.infinity
        case "NaN", "nan": return .nan
        default:
            guard let value = Double(text), value.isFinite, !text.contains(where: { $0 == "x" || $0 == "X" }) else { return nil }
            return value
        }
    }
}

extension String {
    fileprivate func trimmingBlanks() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
