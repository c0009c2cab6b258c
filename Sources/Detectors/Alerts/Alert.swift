/// One alert through its life: pending, firing, resolved.
public struct Alert: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Equatable, Codable {
        case pending, firing, resolved
    }

    /// Identity: the rule and its identity labels (what dedupes an alert across evaluations).
    public var identity: String
    public var rule: String
    public var severity: String
    /// `alertname`, `severity`, the rule's extra labels, the identity labels, and the fixed ones once firing.
    public var labels: [String: String]
    public var annotations: [String: String]
    public var state: State
    /// When the condition first held in this episode.
    public var activeSinceSeconds: Double
    public var firedAtSeconds: Double?
    public var resolvedAtSeconds: Double?
    /// The last evaluation the condition held.
    public var lastActiveSeconds: Double
    public var value: Double

    public init(identity: String, rule: String, severity: String, labels: [String: String], annotations: [String: String], state: State,
                activeSinceSeconds: Double, firedAtSeconds: Double? = nil, resolvedAtSeconds: Double? = nil,
                lastActiveSeconds: Double, value: Double) {
        self.identity = identity
        self.rule = rule
        self.severity = severity
        self.labels = labels
        self.annotations = annotations
        self.state = state
        self.activeSinceSeconds = activeSinceSeconds
        self.firedAtSeconds = firedAtSeconds
        self.resolvedAtSeconds = resolvedAtSeconds
        self.lastActiveSeconds = lastActiveSeconds
        self.value = value
    }
}
