/// Writes metric families in the Prometheus text format 0.0.4.
///
/// Families are sorted by name and their series by label values, so output is stable for golden files and diffs.
/// Histogram series keep their bucket order (sorting `le` as text would put `10` before `2.5`).
enum ExpositionWriter {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// - Parameter reservingCapacity: expected size in bytes (e.g. the previous render's, plus a margin); when
    ///   smaller than a per-series estimate, the estimate is used.
    static func render(_ families: [MetricFamily], reservingCapacity: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(max(reservingCapacity, families.reduce(0) { $0 + 64 + $1.samples.count * 96 }))
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
                if let rendered = sample.renderedLabels {
                    out.append(contentsOf: rendered)
                } else {
                    self.appendLabels(sample.labels, to: &out)
                }
                out.append(UInt8(ascii: " "))
                self.appendValue(sample.value, to: &out)
                out.append(UInt8(ascii: "\n"))
            }
        }
        return out
    }

    /// Writes `{name="value",…}` (nothing for no labels), escaping values.
    static func appendLabels(_ labels: [(name: String, value: String)], to out: inout [UInt8]) {
        guard !labels.isEmpty else { return }
        out.append(UInt8(ascii: "{"))
        for index in labels.indices {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            self.append(labels[index].name, to: &out)
            self.append("=\"", to: &out)
            self.appendEscaped(labels[index].value, quotes: true, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Stable sort by label pairs except `le`, so histogram parts stay in the order they were added.
    ///
    /// The renderers add series in label order already (workloads are sorted by cgroup, type and name), so the
    /// common case is one linear check and no sort.
    private static func sorted(_ samples: [MetricFamily.Sample]) -> [MetricFamily.Sample] {
        var inOrder = true
        for index in samples.indices.dropFirst() where self.compare(samples[index - 1].labels, samples[index].labels) > 0 {
            inOrder = false
            break
        }
        if inOrder { return samples }
        return samples.enumerated().sorted { a, b in
            let order = self.compare(a.element.labels, b.element.labels)
            return order != 0 ? order < 0 : a.offset < b.offset
        }.map(\.element)
    }

    /// Three-way comparison of label lists, ignoring `le`, without building keys.
    private static func compare(_ lhs: [(name: String, value: String)], _ rhs: [(name: String, value: String)]) -> Int {
        var i = 0, j = 0
        while true {
            while i < lhs.count && lhs[i].name == "le" { i += 1 }
            while j < rhs.count && rhs[j].name == "le" { j += 1 }
            if i == lhs.count || j == rhs.count { return (i == lhs.count ? 0 : 1) - (j == rhs.count ? 0 : 1) }
            if lhs[i].name != rhs[j].name { return lhs[i].name < rhs[j].name ? -1 : 1 }
            if lhs[i].value != rhs[j].value { return lhs[i].value < rhs[j].value ? -1 : 1 }
            i += 1
            j += 1
        }
    }

    /// Appends a sample value; integers are written digit by digit, without an intermediate `String`.
    private static func appendValue(_ value: Double, to out: inout [UInt8]) {
        if value == value.rounded(), abs(value) < 9.007_199_254_740_992e15 {
            var integer = Int64(value)
            if integer == 0 {
                out.append(UInt8(ascii: "0"))
                return
            }
            if integer < 0 {
                out.append(UInt8(ascii: "-"))
                integer = -integer
            }
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 digits
            let count = withUnsafeMutableBytes(of: &digits) { buffer -> Int in
                var n = integer, index = 0
                while n > 0 {
                    buffer[index] = UInt8(ascii: "0") + UInt8(n % 10)
                    n /= 10
                    index += 1
                }
                return index
            }
            withUnsafeBytes(of: &digits) { buffer in
                for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
            }
            return
        }
        self.append(self.format(value), to: &out)
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
        // Nearly every label value needs no escaping: copy it whole instead of byte by byte.
        let copied: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\n") || (quotes && byte == UInt8(ascii: "\"")) {
                return false
            }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true { return }
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
