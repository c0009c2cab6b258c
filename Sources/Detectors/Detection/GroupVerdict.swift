/// What a ``GroupDetector`` concluded after ingesting one window.
public struct GroupVerdict: Sendable, Equatable, Codable {
    /// One server's state in the window.
    public struct ServerStatus: Sendable, Equatable, Codable {
        public var server: String
        public var workload: String?
        public var statistics: LatencyStatistics
        /// `false` when the server had fewer than `minSamplesPerWindow` successes and no failure: it was ignored.
        public var active: Bool
        /// Window median over the server's calm baseline; `nil` until the baseline has enough calm windows.
        public var slowdownRatio: Double?
        /// How much slower than its peers over the compared samples (``GroupVerdict/comparedFromSeconds`` to the
        /// window's end): with rounds, the median over rounds of its latency over its peers' median in the round;
        /// without, its median over the peers' pooled median. `nil` without active peers or when nothing was compared.
        public var peerRatio: Double?
        /// One-sided p-value of "slower than its peers" over the compared samples: the aligned-rank test over
        /// rounds when the server was in at least `minSamplesPerWindow` of them, else Mann-Whitney; `nil` when not
        /// compared.
        public var pValue: Double?
        /// Rounds the comparison used; `nil` when it pooled samples instead (no or too few rounds).
        public var rounds: Int?
        /// Significantly slower than its peers in this window (p < alpha and peerRatio >= minEffectRatio).
        public var significantlySlower: Bool
        /// The p-value of the evidence the `.imbalance` debouncing weighs (``GroupDetector/Configuration/evidenceAlpha``);
        /// `nil` while the server has had no slow window in the debouncing's reach.
        public var evidencePValue: Double?
        /// Debounced: the server has an active `.imbalance` finding.
        public var outlier: Bool

        public init(server: String, workload: String?, statistics: LatencyStatistics, active: Bool,
                    slowdownRatio: Double?, peerRatio: Double?, pValue: Double?, significantlySlower: Bool,
                    outlier: Bool, rounds: Int? = nil, evidencePValue: Double? = nil) {
            self.server = server
            self.workload = workload
            self.statistics = statistics
            self.active = active
            self.slowdownRatio = slowdownRatio
            self.peerRatio = peerRatio
            self.pValue = pValue
            self.significantlySlower = significantlySlower
            self.outlier = outlier
            self.rounds = rounds
            self.evidencePValue = evidencePValue
        }
    }

    public var group: String
    public var startSeconds: Double
    public var endSeconds: Double
    /// Start of the samples the peer comparison used: ``startSeconds``, or earlier when windows too sparse to
    /// compare were pooled into this one; `nil` when this window was itself too sparse and its samples wait for the
    /// next one.
    public var comparedFromSeconds: Double?
    /// Per server, sorted by name (so the verdict does not depend on the order servers were reported in).
    public var servers: [ServerStatus]
    /// Slowest over fastest median of the active servers; `nil` with fewer than two.
    public var imbalanceRatio: Double?
    /// Jain's fairness index over the active servers' medians; `nil` with fewer than two.
    public var fairnessIndex: Double?
    /// Coefficient of variation of the active servers' medians; `nil` with fewer than two.
    public var coefficientOfVariation: Double?
    /// Median of the slowdown ratios (window median over baseline) of the servers not significantly slower than
    /// their peers; `nil` until baselines are ready.
    public var groupSlowdownRatio: Double?
    /// Active findings, sorted by kind, then server (group-wide first).
    public var findings: [Finding]

    public init(group: String, startSeconds: Double, endSeconds: Double, servers: [ServerStatus],
                imbalanceRatio: Double?, fairnessIndex: Double?, coefficientOfVariation: Double?,
                groupSlowdownRatio: Double?, findings: [Finding], comparedFromSeconds: Double? = nil) {
        self.group = group
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
        self.servers = servers
        self.imbalanceRatio = imbalanceRatio
        self.fairnessIndex = fairnessIndex
        self.coefficientOfVariation = coefficientOfVariation
        self.groupSlowdownRatio = groupSlowdownRatio
        self.findings = findings
        self.comparedFromSeconds = comparedFromSeconds
    }
}
