import Detectors

extension VMSample {
    /// A libvirt domain's sample from `dominfo` and (for a running domain) `dommemstat`.
    ///
    /// libvirt's names are misleading: `available` is the guest's *total* memory (`stat-total-memory`), and `usable`
    /// is the guest's `MemAvailable` (`stat-available-memory`); `unused` is free memory. Memory values are KiB on
    /// the wire and bytes here.
    public init(libvirtDomain name: String, info: DomInfo, memoryStats: DomMemStat?) {
        var guestStats: GuestStats?
        if let stats = memoryStats {
            let candidate = GuestStats(
                freeBytes: stats.bytes("unused"),
                availableBytes: stats.bytes("usable"),
                totalBytes: stats.bytes("available"),
                diskCachesBytes: stats.bytes("disk_caches"),
                swapInBytes: stats.bytes("swap_in"),
                swapOutBytes: stats.bytes("swap_out"),
                majorFaults: stats.count("major_fault"),
                minorFaults: stats.count("minor_fault"),
                lastUpdateSeconds: stats.count("last_update").flatMap { $0 == 0 ? nil : $0 })
            guestStats = candidate.isEmpty ? nil : candidate
        }
        self.init(
            name: name, source: .libvirt, up: true,
            status: info.state,
            configuredBytes: info.maxMemoryBytes,
            balloonActualBytes: memoryStats?.bytes("actual"),
            balloonTargetBytes: info.usedMemoryBytes,
            maximumBytes: info.maxMemoryBytes,
            guestStats: guestStats,
            rssBytes: memoryStats?.bytes("rss"))
    }
}
