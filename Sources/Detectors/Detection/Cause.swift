/// One candidate explanation of a ``Finding``, with the evidence behind its rank.
///
/// Attribution is ranked evidence, not a verdict (as CPI2 and PSI-based tools report it): several causes may be listed, best
/// first by ``score``.
public struct Cause: Sendable, Equatable, Codable {
    /// Where a signal comes from.
    public enum Scope: String, Sendable, Equatable, Codable {
        /// The slow server's own workload (its cgroup, its VM).
        case workload
        /// The whole host.
        case host
        /// Another workload on the host whose memory use grew: a candidate antagonist.
        case neighbour
    }

    /// Stable identifier of the signal (for alerts, dashboards and reports), for example `workload_swap`.
    /// The list lives in ``CauseSignal``.
    public var signal: String
    public var scope: Scope
    /// The workload the signal belongs to; `nil` for host signals.
    public var subject: String?
    /// Mean of the signal over the windows before the episode started; `nil` when none was seen.
    /// Unit as the signal (bytes per second, 0...1 ratio, count per window, bytes).
    public var beforeValue: Double?
    /// Mean of the signal over the episode's windows.
    public var duringValue: Double
    /// Spearman's ρ between the signal and the server's median latency over the last `correlationWindows` windows;
    /// `nil` with too few windows or a constant series.
    public var correlation: Double?
    /// Ranking score (higher ranks first); see ``GroupDetector`` "Attribution" for how it is computed.
    public var score: Double
    /// One human sentence, for example "workload web-2 swapped 5.0 MiB/s (before 0 B/s), ρ=0.91".
    public var summary: String

    public init(signal: String, scope: Scope, subject: String?, beforeValue: Double?, duringValue: Double,
                correlation: Double?, score: Double, summary: String) {
        self.signal = signal
        self.scope = scope
        self.subject = subject
        self.beforeValue = beforeValue
        self.duringValue = duringValue
        self.correlation = correlation
        self.score = score
        self.summary = summary
    }
}
