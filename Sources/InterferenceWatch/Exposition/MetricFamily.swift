/// One metric family of the Prometheus text format: a name, its help and type, and its samples.
struct MetricFamily: Sendable, Equatable {
    enum Kind: String, Sendable {
        case counter, gauge, histogram, untyped
    }

    /// One line: `name{labels} value`. `suffix` is `_bucket`, `_sum` or `_count` for histogram parts.
    struct Sample: Sendable, Equatable {
        var suffix: String = ""
        var labels: [(name: String, value: String)]
        var value: Double
        /// The `{…}` block already escaped, when the same labels serve many families (a workload's ~15): written
        /// as is instead of escaping every value again.
        var renderedLabels: [UInt8]? = nil

        static func == (lhs: Sample, rhs: Sample) -> Bool {
            lhs.suffix == rhs.suffix && lhs.value.bitPattern == rhs.value.bitPattern
                && lhs.labels.elementsEqual(rhs.labels, by: { $0.name == $1.name && $0.value == $1.value })
        }
    }

    var name: String
    var help: String
    var kind: Kind
    var samples: [Sample] = []
}
