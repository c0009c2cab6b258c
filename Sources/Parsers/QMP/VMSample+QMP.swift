import Detectors

extension VMSample.GuestStats {
    /// QEMU's "this statistic is not provided" marker (`-1` in the docs, an unsigned 64-bit all-ones on the wire).
    public static let qmpNoData = UInt64.max

    /// Decodes the value of `qom-get <balloon> guest-stats`.
    ///
    /// ```
    /// {"stats": {"stat-swap-in": 0, "stat-swap-out": 0, "stat-major-faults": 113, "stat-minor-faults": 55120,
    ///            "stat-free-memory": 180613120, "stat-total-memory": 215810048, "stat-available-memory": 190615552,
    ///            "stat-disk-caches": 4435968, "stat-htlb-pgalloc": 0, "stat-htlb-pgfail": 0},
    ///  "last-update": 1764253010}
    /// ```
    /// Memory and swap values are bytes, faults are counts (docs/interop/virtio-balloon-stats.rst). Unknown keys
    /// (newer QEMU adds some) are ignored; `UInt64.max` and absent keys become `nil`; `last-update` 0 means the
    /// guest never reported, so it becomes `nil` too.
    public init?(qmpGuestStats value: QMPValue) {
        guard let stats = value["stats"]?.object else { return nil }
        func stat(_ key: String) -> UInt64? {
            guard let number = stats[key]?.uint64, number != Self.qmpNoData else { return nil }
            return number
        }
        let lastUpdate = value["last-update"]?.uint64
        self.init(
            freeBytes: stat("stat-free-memory"),
            availableBytes: stat("stat-available-memory"),
            totalBytes: stat("stat-total-memory"),
            diskCachesBytes: stat("stat-disk-caches"),
            swapInBytes: stat("stat-swap-in"),
            swapOutBytes: stat("stat-swap-out"),
            majorFaults: stat("stat-major-faults"),
            minorFaults: stat("stat-minor-faults"),
            lastUpdateSeconds: lastUpdate == 0 || lastUpdate == Self.qmpNoData ? nil : lastUpdate
        )
    }
}
