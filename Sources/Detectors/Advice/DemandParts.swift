/// What one workload (or the host's memory outside workloads) needs at one moment, in parts that add up.
///
/// - `workingSet`: memory it holds that reclaim cannot simply drop: cgroup usage minus inactive page cache
///   (cAdvisor's working set), a process group's RSS; for a VM without QEMU's own share (``vmOverheadBytes``).
/// - `swapReadBack`: what of its swap it read back recently (``MinimumHostMemoryAdvisor/Settings/swapReuseSeconds``),
///   at most what sits in swap now. Pages that sit in swap and are never read cost nothing (cold pages, as TMO and
///   senpai keep them), so swap counts by how much of it is in use, not by its size.
/// - `vmReserved`: guest RAM the VM was promised (its configured size, or its balloon floor) beyond what it holds and
///   reads back now: memory a balloon took away, or that the guest has not touched yet, which it may claim any time.
/// - `vmOverhead`: QEMU's resident memory beyond guest RAM (device emulation, translation caches, page tables).
public struct DemandParts: Sendable, Equatable, Codable {
    public var workingSetBytes: UInt64 = 0
    public var swapReadBackBytes: UInt64 = 0
    public var vmReservedBytes: UInt64 = 0
    public var vmOverheadBytes: UInt64 = 0

    public init(workingSetBytes: UInt64 = 0, swapReadBackBytes: UInt64 = 0, vmReservedBytes: UInt64 = 0,
                vmOverheadBytes: UInt64 = 0) {
        self.workingSetBytes = workingSetBytes
        self.swapReadBackBytes = swapReadBackBytes
        self.vmReservedBytes = vmReservedBytes
        self.vmOverheadBytes = vmOverheadBytes
    }

    public var totalBytes: UInt64 { self.workingSetBytes + self.swapReadBackBytes + self.vmReservedBytes + self.vmOverheadBytes }

    /// The parts by their `part` label, in a fixed order (metrics, JSON, text).
    public var labelled: [(part: String, bytes: UInt64)] {
        [("working_set", self.workingSetBytes), ("swap_read_back", self.swapReadBackBytes),
         ("vm_reserved", self.vmReservedBytes), ("vm_overhead", self.vmOverheadBytes)]
    }

    /// The parts scaled so they add up to `total` (an estimate taken from a histogram of totals), in these
    /// proportions; the rounding remainder goes to the working set.
    public func scaled(to total: UInt64) -> DemandParts {
        let sum = self.totalBytes
        guard sum > 0 else { return DemandParts(workingSetBytes: total) }
        let ratio = Double(total) / Double(sum)
        var out = DemandParts(swapReadBackBytes: UInt64(Double(self.swapReadBackBytes) * ratio),
                              vmReservedBytes: UInt64(Double(self.vmReservedBytes) * ratio),
                              vmOverheadBytes: UInt64(Double(self.vmOverheadBytes) * ratio))
        let rest = out.swapReadBackBytes + out.vmReservedBytes + out.vmOverheadBytes
        out.workingSetBytes = total > rest ? total - rest : 0
        return out
    }

    private enum CodingKeys: String, CodingKey { case workingSetBytes, swapReadBackBytes, vmReservedBytes, vmOverheadBytes, totalBytes }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.workingSetBytes, forKey: .workingSetBytes)
        try c.encode(self.swapReadBackBytes, forKey: .swapReadBackBytes)
        try c.encode(self.vmReservedBytes, forKey: .vmReservedBytes)
        try c.encode(self.vmOverheadBytes, forKey: .vmOverheadBytes)
        try c.encode(self.totalBytes, forKey: .totalBytes)
    }

    /// `totalBytes` is written for readers and ignored here: it is always the sum.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.workingSetBytes = try c.decodeIfPresent(UInt64.self, forKey: .workingSetBytes) ?? 0
        self.swapReadBackBytes = try c.decodeIfPresent(UInt64.self, forKey: .swapReadBackBytes) ?? 0
        self.vmReservedBytes = try c.decodeIfPresent(UInt64.self, forKey: .vmReservedBytes) ?? 0
        self.vmOverheadBytes = try c.decodeIfPresent(UInt64.self, forKey: .vmOverheadBytes) ?? 0
    }
}
