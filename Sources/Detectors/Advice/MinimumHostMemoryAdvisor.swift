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

    private struct Bucket: Sendable, Equatable {
        var index: Int64
        var peak: HostMemoryDemand
        var peakAtSeconds: Double
        var firstAtSeconds: Double
    }

    public let settings: Settings
    /// Oldest first; indices strictly increasing.
    private var buckets: [Bucket] = []
    private var latest: HostMemoryDemand?
    private var latestAtSeconds = 0.0

    public init(settings: Settings = .init()) {
        self.settings = settings
    }

    /// Adds one sample taken at `atSeconds`. Samples older than the newest bucket (a clock step back) are dropped.
    public mutating func record(_ demand: HostMemoryDemand, atSeconds: Double) {
        let index = Int64((atSeconds / self.settings.bucketSeconds).rounded(.down))
        if let last = self.buckets.last, index < last.index { return }
        self.latest = demand
        self.latestAtSeconds = atSeconds
        if let last = self.buckets.indices.last, self.buckets[last].index == index {
            if demand.demandBytes > self.buckets[last].peak.demandBytes {
                self.buckets[last].peak = demand
                self.buckets[last].peakAtSeconds = atSeconds
            }
        } else {
            self.buckets.append(Bucket(index: index, peak: demand, peakAtSeconds: atSeconds, firstAtSeconds: atSeconds))
        }
        // Drop buckets that ended before the window began.
        let oldestKept = Int64(((atSeconds - self.settings.windowSeconds) / self.settings.bucketSeconds).rounded(.down))
        if let firstKept = self.buckets.firstIndex(where: { $0.index >= oldestKept }), firstKept > 0 {
            self.buckets.removeFirst(firstKept)
        }
    }

    /// The recommendation from the samples in the window; `nil` before the first sample.
    public func recommendation() -> HostMemoryRecommendation? {
        guard let current = self.latest, let first = self.buckets.first else { return nil }
        var best = first
        for bucket in self.buckets.dropFirst() where bucket.peak.demandBytes > best.peak.demandBytes { best = bucket }
        let withHeadroom = Double(best.peak.demandBytes) * (1 + self.settings.headroomFraction)
        let granularity = self.settings.granularityBytes
        let units = (withHeadroom / Double(granularity)).rounded(.up)
        let minimum = UInt64(max(1, units)) * granularity
        return HostMemoryRecommendation(
            minimumBytes: minimum, peak: best.peak, peakAtSeconds: best.peakAtSeconds, current: current,
            shortfallBytes: minimum > current.totalBytes ? minimum - current.totalBytes : 0,
            observedSeconds: max(0, self.latestAtSeconds - first.firstAtSeconds), headroomFraction: self.settings.headroomFraction)
    }

    /// Retained buckets (at most window / bucket + 1).
    public var bucketCount: Int { self.buckets.count }
}
