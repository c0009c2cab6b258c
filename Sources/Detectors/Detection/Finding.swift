/// An active problem in a group: a server slower than its peers, or servers slower than their own baselines.
public struct Finding: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Equatable, Codable {
        /// One server is significantly slower than its peers (debounced m of n windows).
        case imbalance
        /// The group (or one server not explained by an imbalance) is slower than its own calm baseline.
        case slowdown
    }

    /// The slow server; `nil` for a group-wide slowdown (every server slowed down together).
    public var server: String?
    public var group: String
    public var kind: Kind
    /// For `.imbalance`: the server's median over its peers' pooled median. For `.slowdown`: the median over the
    /// baseline (the group's: median of the servers' ratios). From the latest window that had one; may be
    /// `+infinity` when the server's requests mostly failed.
    public var ratio: Double
    /// Start (Unix seconds) of the first window of the episode: the earliest qualifying window among those that
    /// raised the finding.
    public var sinceSeconds: Double
    /// Candidate causes, best first.
    public var causes: [Cause]

    public init(server: String?, group: String, kind: Kind, ratio: Double, sinceSeconds: Double, causes: [Cause]) {
        self.server = server
        self.group = group
        self.kind = kind
        self.ratio = ratio
        self.sinceSeconds = sinceSeconds
        self.causes = causes
    }
}
