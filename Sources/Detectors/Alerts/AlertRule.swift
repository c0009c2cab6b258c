/// One alert rule: what condition, how long before it fires, how it clears, and what it says.
///
/// Conditions compare a value against `threshold` to become active and against `clearThreshold` to stay active, so a
/// value hovering at the threshold does not flap (the clear threshold sits on the safe side of it); `for` is the
/// pending time before firing, `keepFiringFor` how long a firing alert stays up after its condition went away (as in
/// Prometheus 2.42's `keep_firing_for`).
public struct AlertRule: Sendable, Equatable, Codable {
    /// What a rule watches.
    public enum Condition: String, Sendable, Equatable, Codable, CaseIterable {
        /// An open imbalance finding (value: the server's ratio to its peers).
        case imbalance
        /// An open slowdown finding (value: the ratio to the baseline).
        case slowdown
        /// Host swap-in, as a fraction of RAM per minute.
        case hostSwapIn = "host_swap_in"
        /// Host memory PSI `some` avg10, 0...1.
        case hostMemoryPressure = "host_memory_pressure"
        /// Memory PSI `some` avg10 of a workload that serves a group, 0...1.
        case serverMemoryPressure = "server_memory_pressure"
        /// A VM whose balloon shrank in the last interval while its guest swaps (value: guest swap bytes per second).
        case balloonShrinkWhileGuestSwaps = "balloon_shrink_guest_swap"
        /// Host RAM below the recommended minimum (value: shortfall bytes).
        case hostMemoryBelowRecommended = "host_memory_below_recommended"
    }

    public var name: String
    public var condition: Condition
    /// Active when the value is at least this.
    public var threshold: Double
    /// Once pending or firing, stays active while the value is at least this (≤ `threshold`).
    public var clearThreshold: Double
    public var forSeconds: Double
    public var keepFiringForSeconds: Double
    public var severity: String
    /// Extra labels on every alert of the rule.
    public var labels: [String: String]
    /// `{{name}}` placeholders: the alert's labels, `value`, and the condition's evidence (see ``AlertCandidate``).
    public var summary: String
    public var description: String

    public init(name: String, condition: Condition, threshold: Double, clearThreshold: Double? = nil, forSeconds: Double = 0,
                keepFiringForSeconds: Double = 0, severity: String = "warning", labels: [String: String] = [:],
                summary: String, description: String = "") {
        self.name = name
        self.condition = condition
        self.threshold = threshold
        self.clearThreshold = min(clearThreshold ?? threshold, threshold)
        self.forSeconds = forSeconds
        self.keepFiringForSeconds = keepFiringForSeconds
        self.severity = severity
        self.labels = labels
        self.summary = summary
        self.description = description
    }
}
