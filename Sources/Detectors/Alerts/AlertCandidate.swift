/// One thing a rule's condition saw at one evaluation: who it is about and how large it is.
public struct AlertCandidate: Sendable, Equatable {
    public var rule: String
    /// Identity within the rule (`group`, `server`, `kind`; `workload`; `vm`); never a value.
    public var labels: [String: String]
    /// Labels set when the alert fires and kept for its whole episode (a finding's top `cause`), so the alert's
    /// identity does not change under Alertmanager while it is firing.
    public var fixedLabels: [String: String]
    public var value: Double
    /// Template values: `ratio`, `cause`, `cause_summary`, `before`, `during`, ...
    public var evidence: [String: String]

    public init(rule: String, labels: [String: String], fixedLabels: [String: String] = [:], value: Double,
                evidence: [String: String] = [:]) {
        self.rule = rule
        self.labels = labels
        self.fixedLabels = fixedLabels
        self.value = value
        self.evidence = evidence
    }
}
