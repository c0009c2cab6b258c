/// Host-wide memory signals over one detection window, already derived (rates, ratios, levels).
///
/// Every field is optional: `nil` means "no data", never zero.
public struct HostSignals: Sendable, Equatable, Codable {
    /// Bytes per second swapped in host-wide (`/proc/vmstat` `pswpin` × page size / window length).
    public var swapInBytesPerSecond: Double?
    /// Bytes per second swapped out host-wide (`pswpout`).
    public var swapOutBytesPerSecond: Double?
    /// `/proc/pressure/memory` `some`: share of the window (0...1) with at least one task stalled on memory.
    public var psiMemorySomeRatio: Double?
    /// `/proc/pressure/memory` `full`: share of the window (0...1) with all non-idle tasks stalled.
    public var psiMemoryFullRatio: Double?
    /// Host major page faults per second (`pgmajfault`).
    public var majorFaultsPerSecond: Double?
    /// `MemAvailable` in bytes at the end of the window.
    public var memAvailableBytes: Double?
    /// `MemTotal` in bytes.
    public var memTotalBytes: Double?

    public init(
        swapInBytesPerSecond: Double? = nil, swapOutBytesPerSecond: Double? = nil,
        psiMemorySomeRatio: Double? = nil, psiMemoryFullRatio: Double? = nil,
        majorFaultsPerSecond: Double? = nil, memAvailableBytes: Double? = nil, memTotalBytes: Double? = nil
    ) {
        self.swapInBytesPerSecond = swapInBytesPerSecond
        self.swapOutBytesPerSecond = swapOutBytesPerSecond
        self.psiMemorySomeRatio = psiMemorySomeRatio
        self.psiMemoryFullRatio = psiMemoryFullRatio
        self.majorFaultsPerSecond = majorFaultsPerSecond
        self.memAvailableBytes = memAvailableBytes
        self.memTotalBytes = memTotalBytes
    }

    /// Host swap traffic in both directions, bytes per second; `nil` when neither direction is known.
    public var swapBytesPerSecond: Double? { sumOfKnown(self.swapInBytesPerSecond, self.swapOutBytesPerSecond) }
}
