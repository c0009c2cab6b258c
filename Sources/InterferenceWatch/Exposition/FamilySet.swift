/// Collects samples into families by name while a snapshot is rendered.
struct FamilySet {
    private(set) var families: [String: MetricFamily] = [:]
    /// Metric-name prefix: the project's namespace.
    static let namespace = "interferencewatch"

    /// Adds a sample to `interferencewatch_<name>`, creating the family on first use.
    mutating func add(_ name: String, _ kind: MetricFamily.Kind, _ help: String,
                      _ labels: [(name: String, value: String)], _ value: Double?, suffix: String = "") {
        guard let value else { return }
        // Keyed by the short name: no string concatenation per sample, one hash lookup to append in place.
        self.families[name, default: MetricFamily(name: Self.namespace + "_" + name, help: help, kind: kind)]
            .samples.append(.init(suffix: suffix, labels: labels, value: value))
    }

    /// Adds a sample whose labels were rendered once for many families (see ``LabelSet``).
    mutating func add(_ name: String, _ kind: MetricFamily.Kind, _ help: String, _ labels: LabelSet, _ value: Double?) {
        guard let value else { return }
        self.families[name, default: MetricFamily(name: Self.namespace + "_" + name, help: help, kind: kind)]
            .samples.append(.init(labels: labels.pairs, value: value, renderedLabels: labels.rendered))
    }

    mutating func add(_ name: String, _ kind: MetricFamily.Kind, _ help: String, _ labels: LabelSet, _ value: UInt64?) {
        self.add(name, kind, help, labels, value.map { Double($0) })
    }

    mutating func add(_ name: String, _ kind: MetricFamily.Kind, _ help: String,
                      _ labels: [(name: String, value: String)], _ value: UInt64?) {
        self.add(name, kind, help, labels, value.map { Double($0) })
    }

    var all: [MetricFamily] { Array(self.families.values) }
}

/// Label pairs with their `{…}` block rendered once, for a workload whose labels repeat across many families.
struct LabelSet {
    let pairs: [(name: String, value: String)]
    let rendered: [UInt8]

    init(_ pairs: [(name: String, value: String)]) {
        self.pairs = pairs
        var rendered: [UInt8] = []
        ExpositionWriter.appendLabels(pairs, to: &rendered)
        self.rendered = rendered
    }
}
