extension MinimumHostMemoryAdvisor {
    public struct Settings: Sendable, Equatable {
        /// One peak per workload per interval goes into its histogram (VPA: a day).
        public var peakIntervalSeconds: Double
        /// A peak's weight halves over this (VPA: 24 h).
        public var halfLifeSeconds: Double
        /// The percentile of peaks a workload is sized for (VPA: 0.9).
        public var percentile: Double
        /// Added to the summed demand, as a fraction (VPA: 0.15).
        public var marginFraction: Double
        /// The recommendation is rounded up to a multiple of this (RAM is bought in GiB).
        public var granularityBytes: UInt64
        /// Workloads not seen for this long, and knee evidence older than this, are forgotten (VPA keeps 8 days).
        public var historySeconds: Double
        /// Swap read back within this counts as in use.
        public var swapReuseSeconds: Double
        /// Less history than this is "not enough history"; alerts on the advice wait for it.
        public var minimumHistorySeconds: Double
        /// A memory-caused finding is charged to the least available memory within this long before it: pages
        /// swapped out under pressure fault back in, and findings open, after the pressure is gone (debouncing adds
        /// windows too), so the memory available at that moment is not what the finding was about.
        public var kneeLookbackSeconds: Double = 600
        /// vmstat and memory.stat count swap-ins in pages.
        public var pageSizeBytes: UInt64
        /// Size the workloads under this cgroup (relative to the hierarchy root, like `/lab.slice`) against its limit,
        /// instead of the whole host against its RAM.
        public var capacityCgroup: String?
        /// Guest RAM each named VM may be ballooned down to without counting as short.
        public var balloonFloorBytes: [String: UInt64]
        /// The same for every other VM, as a fraction of its configured size; `nil` counts every VM whole.
        public var balloonFloorFraction: Double?

        public init(peakIntervalSeconds: Double = 86_400, halfLifeSeconds: Double = 86_400, percentile: Double = 0.9,
                    marginFraction: Double = 0.15, granularityBytes: UInt64 = 1 << 30, historySeconds: Double = 8 * 86_400,
                    swapReuseSeconds: Double = 600, minimumHistorySeconds: Double = 3600, pageSizeBytes: UInt64 = 4096,
                    capacityCgroup: String? = nil, balloonFloorBytes: [String: UInt64] = [:], balloonFloorFraction: Double? = nil) {
            precondition(peakIntervalSeconds > 0 && halfLifeSeconds > 0 && (0...1).contains(percentile) && marginFraction >= 0)
            precondition(granularityBytes > 0 && historySeconds > 0 && swapReuseSeconds > 0 && pageSizeBytes > 0)
            self.peakIntervalSeconds = peakIntervalSeconds
            self.halfLifeSeconds = halfLifeSeconds
            self.percentile = percentile
            self.marginFraction = marginFraction
            self.granularityBytes = granularityBytes
            self.historySeconds = historySeconds
            self.swapReuseSeconds = swapReuseSeconds
            self.minimumHistorySeconds = minimumHistorySeconds
            self.pageSizeBytes = pageSizeBytes
            self.capacityCgroup = capacityCgroup
            self.balloonFloorBytes = balloonFloorBytes
            self.balloonFloorFraction = balloonFloorFraction
        }

        /// The guest RAM a VM counts with.
        func balloonFloor(vm: String, configuredBytes: UInt64) -> UInt64 {
            if let floor = self.balloonFloorBytes[vm] { return min(floor, configuredBytes) }
            if let fraction = self.balloonFloorFraction { return UInt64(Double(configuredBytes) * min(max(fraction, 0), 1)) }
            return configuredBytes
        }

        /// Rounds up to the granularity, at least one unit.
        func roundedUp(_ bytes: Double) -> UInt64 {
            let units = (bytes / Double(self.granularityBytes)).rounded(.up)
            return UInt64(max(1, units)) * self.granularityBytes
        }
    }
}
