/// One workload's (or the host remainder's) demand over time: a decaying histogram of its peak per interval.
///
/// As VPA keeps memory: the largest demand of each peak interval (a day by default) is one sample of the histogram,
/// added when the interval ends; the interval still open counts with its peak so far. So a daily batch job keeps its
/// peak for the day after it ran, and an old peak fades with the half-life instead of vanishing at once.
public struct DemandTracker: Sendable, Equatable, Codable {
    public var kind: WorkloadKind?
    public var histogram: DecayingHistogram
    /// `floor(t / peakInterval)` of the interval still open.
    public var intervalIndex: Int64
    /// The open interval's largest demand, and when it was seen.
    public var intervalPeak: DemandParts
    public var intervalPeakAtSeconds: Double
    /// The parts of the latest peak with any weight, so an estimate can be split into parts in their proportions.
    public var lastPeak: DemandParts
    public var firstSeenSeconds: Double
    public var lastSeenSeconds: Double
    /// Swap read back by this workload, for ``DemandParts/swapReadBackBytes``.
    public var readBack = SwapReadBack()

    public init(kind: WorkloadKind?, halfLifeSeconds: Double, atSeconds: Double, intervalSeconds: Double) {
        self.kind = kind
        self.histogram = DecayingHistogram(halfLifeSeconds: halfLifeSeconds, referenceSeconds: atSeconds)
        self.intervalIndex = Int64((atSeconds / intervalSeconds).rounded(.down))
        self.intervalPeak = DemandParts()
        self.intervalPeakAtSeconds = atSeconds
        self.lastPeak = DemandParts()
        self.firstSeenSeconds = atSeconds
        self.lastSeenSeconds = atSeconds
    }

    /// Records the demand seen at `atSeconds`.
    public mutating func record(_ demand: DemandParts, atSeconds: Double, intervalSeconds: Double) {
        let index = Int64((atSeconds / intervalSeconds).rounded(.down))
        if index > self.intervalIndex {
            // The open interval ended: its peak becomes one sample, stamped when it was seen.
            if self.intervalPeak.totalBytes > 0 || self.histogram.isEmpty {
                self.histogram.add(Double(self.intervalPeak.totalBytes), atSeconds: self.intervalPeakAtSeconds)
            }
            self.intervalIndex = index
            self.intervalPeak = DemandParts()
            self.intervalPeakAtSeconds = atSeconds
        }
        if demand.totalBytes >= self.intervalPeak.totalBytes && index >= self.intervalIndex {
            self.intervalPeak = demand
            self.intervalPeakAtSeconds = atSeconds
            if demand.totalBytes > 0 { self.lastPeak = demand }
        }
        self.lastSeenSeconds = max(self.lastSeenSeconds, atSeconds)
    }

    /// Carries the open interval on at `atSeconds`, earlier than its start: the wall clock was stepped back, and
    /// ``record(_:atSeconds:intervalSeconds:)`` would take no peak until the clock reached the interval again.
    public mutating func rewind(to atSeconds: Double, intervalSeconds: Double) {
        let index = Int64((atSeconds / intervalSeconds).rounded(.down))
        if self.intervalIndex > index { self.intervalIndex = index }
        if self.intervalPeakAtSeconds > atSeconds { self.intervalPeakAtSeconds = atSeconds }
        self.readBack.rewind(to: atSeconds)
    }

    /// Moves every time `seconds` later (the wall clock was stepped forward that far, and none of it passed): the
    /// histogram's weights keep their ratios to new peaks, and the open interval goes on where its peak now falls.
    public mutating func shiftTimes(bySeconds seconds: Double, minutes: Int64, intervalSeconds: Double) {
        self.histogram.shiftTimes(bySeconds: seconds)
        self.intervalPeakAtSeconds += seconds
        // The peak (or the interval's first sweep) lies inside the open interval, so its interval is the open one.
        self.intervalIndex = Int64((self.intervalPeakAtSeconds / intervalSeconds).rounded(.down))
        self.firstSeenSeconds += seconds
        self.lastSeenSeconds += seconds
        self.readBack.shift(byMinutes: minutes)
    }

    /// The `fraction` percentile of the peaks, the open interval's included (at least that peak: a new workload's
    /// estimate is never below what it uses now).
    public func estimateBytes(percentile fraction: Double) -> UInt64 {
        let open = Double(self.intervalPeak.totalBytes)
        let value = self.histogram.percentile(fraction, extra: open, extraAtSeconds: self.intervalPeakAtSeconds) ?? open
        return UInt64(max(value, open).rounded(.up))
    }
}
