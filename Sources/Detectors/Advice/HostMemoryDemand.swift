/// How much RAM the host would have needed at one moment for nothing to be swapped out or held back by a balloon.
///
/// The study's slowdown and unfairness came from exactly these two: host swap and VM ballooning under too little
/// RAM. `MemAvailable` already counts reclaimable page cache as free, so `used` is memory the kernel cannot simply
/// drop; what sits in swap had to leave RAM; what balloons hold back was taken from guests that asked for it.
public struct HostMemoryDemand: Sendable, Equatable, Codable {
    /// `MemTotal`.
    public var totalBytes: UInt64
    /// `MemTotal - MemAvailable`.
    public var usedBytes: UInt64
    /// `SwapTotal - SwapFree - SwapCached`: pages only in swap (swap-cached pages are in RAM too, so in `used`).
    public var swappedBytes: UInt64
    /// Sum over VMs that are up of configured minus balloon actual.
    public var balloonedBytes: UInt64

    public init(totalBytes: UInt64, usedBytes: UInt64, swappedBytes: UInt64, balloonedBytes: UInt64) {
        self.totalBytes = totalBytes
        self.usedBytes = usedBytes
        self.swappedBytes = swappedBytes
        self.balloonedBytes = balloonedBytes
    }

    /// From one sweep; `nil` when meminfo lacks `MemTotal` or `MemAvailable` (kernels before 3.14).
    public init?(host: HostSample, vms: [VMSample]) {
        let meminfo = host.meminfoBytes
        guard let total = meminfo["MemTotal"], let available = meminfo["MemAvailable"] else { return nil }
        let swapTotal = meminfo["SwapTotal"] ?? 0, swapFree = meminfo["SwapFree"] ?? 0
        let swapCached = meminfo["SwapCached"] ?? 0
        let swapped = swapTotal > swapFree + swapCached ? swapTotal - swapFree - swapCached : 0
        // A VM counts once even when QMP and libvirt both report it; a VM that is down holds no balloon we can see.
        var seen: Set<String> = []
        var ballooned: UInt64 = 0
        for vm in vms where vm.up && seen.insert(vm.name).inserted {
            ballooned += vm.balloonInflatedBytes ?? 0
        }
        self.init(totalBytes: total, usedBytes: total > available ? total - available : 0, swappedBytes: swapped,
                  balloonedBytes: ballooned)
    }

    /// `used + swapped + ballooned`.
    public var demandBytes: UInt64 { self.usedBytes + self.swappedBytes + self.balloonedBytes }

    private enum CodingKeys: String, CodingKey {
        case totalBytes, usedBytes, swappedBytes, balloonedBytes, demandBytes
    }

    /// The parts and their sum, so a reader of the JSON sees the evidence without adding it up.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.totalBytes, forKey: .totalBytes)
        try container.encode(self.usedBytes, forKey: .usedBytes)
        try container.encode(self.swappedBytes, forKey: .swappedBytes)
        try container.encode(self.balloonedBytes, forKey: .balloonedBytes)
        try container.encode(self.demandBytes, forKey: .demandBytes)
    }

    /// `demandBytes` is written for readers and ignored here: it is always the sum of the parts.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.totalBytes = try c.decode(UInt64.self, forKey: .totalBytes)
        self.usedBytes = try c.decodeIfPresent(UInt64.self, forKey: .usedBytes) ?? 0
        self.swappedBytes = try c.decodeIfPresent(UInt64.self, forKey: .swappedBytes) ?? 0
        self.balloonedBytes = try c.decodeIfPresent(UInt64.self, forKey: .balloonedBytes) ?? 0
    }
}
