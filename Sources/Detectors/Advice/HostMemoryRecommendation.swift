/// The advisor's answer: the smallest RAM (or capacity cgroup limit) that holds what the workloads need with a
/// margin, kept above the latency knee, with how much history stands behind it and why, in plain words.
public struct HostMemoryRecommendation: Sendable, Equatable, Encodable {
    /// One workload's share of the demand.
    public struct WorkloadDemand: Sendable, Equatable, Encodable {
        public var workload: String
        public var kind: WorkloadKind?
        /// The ``MinimumHostMemoryAdvisor/Settings/percentile`` of its peaks.
        public var estimateBytes: UInt64
        /// The estimate in the proportions of its latest peak.
        public var parts: DemandParts
        public var lastSeenSeconds: Double
    }

    /// The knee: available memory at which latency held and at which it broke.
    public struct Knee: Sendable, Equatable, Encodable {
        public var safe: MemoryKnee.Point?
        public var unsafe: MemoryKnee.Point?
        /// `demand + unsafe.available`: the size below which the recommendation never lies; `nil` without an
        /// unsafe point.
        public var floorBytes: UInt64?
    }

    /// How much history stands behind the number.
    public struct Confidence: Sendable, Equatable, Encodable {
        /// Time covered by sweeps (daemon downtime left out).
        public var historySeconds: Double
        public var minimumHistorySeconds: Double
        /// `historySeconds >= minimumHistorySeconds`; alerts on the advice wait for it.
        public var enough: Bool
        /// `days / (1 + days)`: 0.5 after a day, 0.875 after a week.
        public var ratio: Double
        /// The recommendation divided and multiplied by `1 + 1/days` (VPA's widening), rounded to the granularity.
        public var lowerBytes: UInt64
        public var upperBytes: UInt64
    }

    // Fields of the first version, with their meaning.
    /// The recommended size, rounded up to the granularity.
    public var minimumBytes: UInt64
    /// The largest raw demand (used + swapped + ballooned, host-wide) of the current and previous peak interval.
    public var peak: HostMemoryDemand
    public var peakAtSeconds: Double
    /// The latest raw demand.
    public var current: HostMemoryDemand
    /// `minimumBytes - installedBytes` when the host (or capacity cgroup) has less, else 0.
    public var shortfallBytes: UInt64
    /// Same as ``Confidence/historySeconds``.
    public var observedSeconds: Double
    /// The margin added to the demand.
    public var headroomFraction: Double

    /// RAM, or the capacity cgroup's limit.
    public var installedBytes: UInt64
    /// Available now: `MemAvailable`, or the capacity cgroup's limit minus its working set.
    public var availableBytes: UInt64
    /// The capacity cgroup the advice is for; `nil` for the whole host.
    public var scope: String?
    /// `short` when the installed size is below the recommendation, else `enough`.
    public var verdict: String
    /// The sum of the workloads' estimates and the remainder's, before the margin.
    public var demandBytes: UInt64
    /// `demandBytes * (1 + margin)`, before rounding and the knee.
    public var estimateBytes: UInt64
    /// Largest first.
    public var workloads: [WorkloadDemand]
    /// Memory outside the workloads (the host's own processes and kernel, or the capacity cgroup's own).
    public var remainder: DemandParts
    public var knee: Knee
    public var confidence: Confidence
    public var calibratedAtSeconds: Double?
    /// What the number rests on, one sentence each.
    public var reasons: [String]
}
