/// Writes metric families in the Prometheus text format 0.0.4.
///
/// Families are sorted by name and their series by label values, so output is stable for golden files and diffs.
/// Histogram series keep their bucket order (sorting `le` as text would put `10` before `2.5`).
enum ExpositionWriter {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func render(_ families: [MetricFamily]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(families.reduce(0) { $0 + 64 + $1.samples.count * 96 })
        for family in families.sorted(by: { $0.name < $1.name }) where !family.samples.isEmpty {
            self.append("# HELP ", to: &out)
            self.append(family.name, to: &out)
            out.append(UInt8(ascii: " "))
            self.appendEscaped(family.help, quotes: false, to: &out)
            self.append("\n# TYPE ", to: &out)
            self.append(family.name, to: &out)
            out.append(UInt8(ascii: " "))
            self.append(family.kind.rawValue, to: &out)
            out.append(UInt8(ascii: "\n"))
            for sample in self.sorted(family.samples) {
                self.append(family.name, to: &out)
                self.append(sample.suffix, to: &out)
                if !sample.labels.isEmpty {
                    out.append(UInt8(ascii: "{"))
                    for (index, label) in sample.labels.enumerated() {
                        if index > 0 { out.append(UInt8(ascii: ",")) }
                        self.append(label.name, to: &out)
                        self.append("=\"", to: &out)
                        self.appendEscaped(label.value, quotes: true, to: &out)
                        out.append(UInt8(ascii: "\""))
                    }
                    out.append(UInt8(ascii: "}"))
                }
                out.append(UInt8(ascii: " "))
                self.append(self.format(sample.value), to: &out)
                out.append(UInt8(ascii: "\n"))
            }
        }
        return out
    }

    /// Stable sort by label values except `le`, so histogram parts stay in the order they were added.
    private static func sorted(_ samples: [MetricFamily.Sample]) -> [MetricFamily.Sample] {
        let keyed = samples.enumerated().map { index, sample in
            (key: sample.labels.lazy.filter { $0.name != "le" }.map { "\($0.name)\u{1}\($0.value)" }.joined(separator: "\u{2}"),
             index: index, sample: sample)
        }
        return keyed.sorted { $0.key != $1.key ? $0.key < $1.key : $0.index < $1.index }.map(\.sample)
    }

    /// Integers print without a fraction; specials use the canonical `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9.007_199_254_740_992e15 { return String(Int64(value)) }
        return "\(value)"
    }

    @inline(__always)
    private static func append(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
    }

    private static func appendEscaped(_ text: String, quotes: Bool, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\"") where quotes: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            default: out.append(byte)
            }
        }
    }
}
