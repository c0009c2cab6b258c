/// Recommends a minimum host RAM from the peak memory demand over a sliding window.
///
/// The study's hosts were fair and fast while RAM held every VM whole (32 GB) and degraded once swap and ballooning
/// began (8 GB). So the advice is: RAM for the peak of used + swapped + ballooned memory seen over the window (a day by
/// default, to cover daily cycles), plus headroom for the page cache that I/O-heavy tasks like the study's 30 MB
/// writes live on, rounded up to whole GiB as RAM is bought.
///
/// Pure and deterministic: time comes in with each sample. Memory is bounded: one entry per bucket (a minute by
/// default), each keeping its bucket's largest demand, so a day is at most 1,440 entries.
public struct MinimumHostMemoryAdvisor: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// How far back the peak is taken, in seconds.
        public var windowSeconds: Double
        /// Added to the peak, as a fraction of it (0.1 = 10 %).
        public var headroomFraction: Double
        /// The recommendation is rounded up to a multiple of this.
        public var granularityBytes: UInt64
        /// Width of one retained bucket, in seconds.
        public var bucketSeconds: Double

        public init(windowSeconds: Double = 86_400, headroomFraction: Double = 0.1, granularityBytes: UInt64 = 1 << 30,
                    bucketSeconds: Double = 60) {
            precondition(windowSeconds > 0 && bucketSeconds > 0 && headroomFraction >= 0 && granularityBytes > 0)
            self.windowSeconds = windowSeconds
            self.headroomFraction = headroomFraction
            self.granularityBytes = granularityBytes
            self.bucketSeconds = bucketSeconds
        }
    }

    public let settings: Settings
    /// What the advisor has learned: saved across restarts so the advice does not start from zero.
    public private(set) var state = State()

    private var buckets: [State.Bucket] {
        get { self.state.buckets }
        set { self.state.buckets = newValue }
    }

    public init(settings: Settings = .init(), state: State = State()) {
        self.settings = settings
        self.state = state
        // A saved state may reach further back than this run's window: trim it as a new sample would.
        if let last = state.latestAtSeconds { self.dropBuckets(before: last) }
    }

    /// Adds one sample taken at `atSeconds`. Samples older than the newest bucket (a clock step back) are dropped.
    public mutating func record(_ demand: HostMemoryDemand, atSeconds: Double) {
        let index = Int64((atSeconds / self.settings.bucketSeconds).rounded(.down))
        if let last = self.buckets.last, index < last.index { return }
        self.state.latest = demand
        self.state.latestAtSeconds = atSeconds
        if let last = self.buckets.indices.last, self.buckets[last].index == index {
            if demand.demandBytes > self.buckets[last].peak.demandBytes {
                self.buckets[last].peak = demand
                self.buckets[last].peakAtSeconds = atSeconds
            }
        } else {
            self.buckets.append(State.Bucket(index: index, peak: demand, peakAtSeconds: atSeconds, firstAtSeconds: atSeconds))
        }
        self.dropBuckets(before: atSeconds)
    }

    /// Drops buckets that ended before the window that ends at `atSeconds` began.
    private mutating func dropBuckets(before atSeconds: Double) {
        let oldestKept = Int64(((atSeconds - self.settings.windowSeconds) / self.settings.bucketSeconds).rounded(.down))
        if let firstKept = self.buckets.firstIndex(where: { $0.index >= oldestKept }), firstKept > 0 {
            self.buckets.removeFirst(firstKept)
        }
    }

    /// The recommendation from the samples in the window; `nil` before the first sample.
    public func recommendation() -> HostMemoryRecommendation? {
        guard let current = self.state.latest, let first = self.buckets.first else { return nil }
        var best = first
        for bucket in self.buckets.dropFirst() where bucket.peak.demandBytes > best.peak.demandBytes { best = bucket }
        let withHeadroom = Double(best.peak.demandBytes) * (1 + self.settings.headroomFraction)
        let granularity = self.settings.granularityBytes
        let units = (withHeadroom / Double(granularity)).rounded(.up)
        let minimum = UInt64(max(1, units)) * granularity
        return HostMemoryRecommendation(
            minimumBytes: minimum, peak: best.peak, peakAtSeconds: best.peakAtSeconds, current: current,
            shortfallBytes: minimum > current.totalBytes ? minimum - current.totalBytes : 0,
            observedSeconds: max(0, (self.state.latestAtSeconds ?? 0) - first.firstAtSeconds), headroomFraction: self.settings.headroomFraction)
    }

    /// Retained buckets (at most window / bucket + 1).
    public var bucketCount: Int { self.buckets.count }
}
