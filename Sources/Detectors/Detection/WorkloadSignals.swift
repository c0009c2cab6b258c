/// Memory signals of one workload (a container, a VM, a service) over one detection window.
///
/// Every value is already derived (a rate over the window, a ratio, a count in the window, or a level at the end of
/// the window); the detectors never see raw counters. Every field is optional: `nil` means "no data" (a missing
/// controller, an unsupported guest statistic, a counter reset) and is never read as zero pressure evidence,
/// although it does count as calm when learning baselines.
public struct WorkloadSignals: Sendable, Equatable, Codable {
    /// PSI memory `some`: share of the window (0...1) during which at least one task of the workload stalled on memory.
    public var psiMemorySomeRatio: Double?
    /// PSI memory `full`: share of the window (0...1) during which all non-idle tasks of the workload stalled.
    public var psiMemoryFullRatio: Double?
    /// Bytes per second swapped in for the workload (cgroup `pswpin` pages × page size / window length).
    public var swapInBytesPerSecond: Double?
    /// Bytes per second swapped out from the workload.
    public var swapOutBytesPerSecond: Double?
    /// Bytes of the workload currently in swap, at the end of the window.
    public var swapUsageBytes: Double?
    /// Major page faults per second (`pgmajfault`).
    public var majorFaultsPerSecond: Double?
    /// Refaults of evicted pages per second (`workingset_refault_*`).
    public var refaultsPerSecond: Double?
    /// Memory in use in bytes, at the end of the window (or averaged over it).
    public var memoryUsageBytes: Double?
    /// OOM kills inside the workload during the window (count).
    public var oomKills: Double?
    /// `memory.high` breaches during the window (count of `high` events).
    public var highEvents: Double?
    /// The VM balloon's `actual` (RAM the guest currently has) in bytes, at the end of the window.
    public var balloonActualBytes: Double?
    /// How much the balloon's `actual` decreased during the window, in bytes (>= 0): memory taken from the guest.
    public var balloonShrinkBytes: Double?
    /// Bytes per second swapped in inside the guest (virtio balloon guest statistics).
    public var guestSwapInBytesPerSecond: Double?
    /// Bytes per second swapped out inside the guest.
    public var guestSwapOutBytesPerSecond: Double?
    /// Major faults per second inside the guest.
    public var guestMajorFaultsPerSecond: Double?

    public init(
        psiMemorySomeRatio: Double? = nil, psiMemoryFullRatio: Double? = nil,
        swapInBytesPerSecond: Double? = nil, swapOutBytesPerSecond: Double? = nil, swapUsageBytes: Double? = nil,
        majorFaultsPerSecond: Double? = nil, refaultsPerSecond: Double? = nil, memoryUsageBytes: Double? = nil,
        oomKills: Double? = nil, highEvents: Double? = nil,
        balloonActualBytes: Double? = nil, balloonShrinkBytes: Double? = nil,
        guestSwapInBytesPerSecond: Double? = nil, guestSwapOutBytesPerSecond: Double? = nil,
        guestMajorFaultsPerSecond: Double? = nil
    ) {
        self.psiMemorySomeRatio = psiMemorySomeRatio
        self.psiMemoryFullRatio = psiMemoryFullRatio
        self.swapInBytesPerSecond = swapInBytesPerSecond
        self.swapOutBytesPerSecond = swapOutBytesPerSecond
        self.swapUsageBytes = swapUsageBytes
        self.majorFaultsPerSecond = majorFaultsPerSecond
        self.refaultsPerSecond = refaultsPerSecond
        self.memoryUsageBytes = memoryUsageBytes
        self.oomKills = oomKills
        self.highEvents = highEvents
        self.balloonActualBytes = balloonActualBytes
        self.balloonShrinkBytes = balloonShrinkBytes
        self.guestSwapInBytesPerSecond = guestSwapInBytesPerSecond
        self.guestSwapOutBytesPerSecond = guestSwapOutBytesPerSecond
        self.guestMajorFaultsPerSecond = guestMajorFaultsPerSecond
    }

    /// Swap traffic in both directions, bytes per second; `nil` when neither direction is known.
    public var swapBytesPerSecond: Double? { sumOfKnown(self.swapInBytesPerSecond, self.swapOutBytesPerSecond) }

    /// Guest swap traffic in both directions, bytes per second; `nil` when neither direction is known.
    public var guestSwapBytesPerSecond: Double? {
        sumOfKnown(self.guestSwapInBytesPerSecond, self.guestSwapOutBytesPerSecond)
    }
}

/// The sum of the values that are known, or `nil` when none is: one missing direction must not hide the other.
func sumOfKnown(_ a: Double?, _ b: Double?) -> Double? {
    switch (a, b) {
    case (nil, nil): return nil
    default: return (a ?? 0) + (b ?? 0)
    }
}
