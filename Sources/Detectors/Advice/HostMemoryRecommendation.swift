/// The advisor's answer: the smallest host RAM that would have held the peak demand it saw, and the evidence.
public struct HostMemoryRecommendation: Sendable, Equatable, Encodable {
    /// Peak demand times (1 + headroom), rounded up to the granularity.
    public var minimumBytes: UInt64
    /// The largest demand seen in the window, and its parts at that moment.
    public var peak: HostMemoryDemand
    /// When the peak was seen (Unix seconds).
    public var peakAtSeconds: Double
    /// The latest demand.
    public var current: HostMemoryDemand
    /// `minimumBytes - MemTotal` when the host has less than the recommendation, else 0.
    public var shortfallBytes: UInt64
    /// How much time the samples behind the peak cover (first to last kept sample), in seconds.
    public var observedSeconds: Double
    /// The headroom fraction applied to the peak.
    public var headroomFraction: Double

    public init(minimumBytes: UInt64, peak: HostMemoryDemand, peakAtSeconds: Double, current: HostMemoryDemand,
                shortfallBytes: UInt64, observedSeconds: Double, headroomFraction: Double) {
        self.minimumBytes = minimumBytes
        self.peak = peak
        self.peakAtSeconds = peakAtSeconds
        self.current = current
        self.shortfallBytes = shortfallBytes
        self.observedSeconds = observedSeconds
        self.headroomFraction = headroomFraction
    }
}
