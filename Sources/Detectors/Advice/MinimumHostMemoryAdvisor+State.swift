extension MinimumHostMemoryAdvisor {
    /// What the advisor has learned: per-workload peak histograms, the knee, the last calibration, and the raw peak.
    ///
    /// Stored (``StoredRecord``) so the advice survives a restart; the settings are not part of it, so a restart
    /// with other settings reads the same history under them. Bounded: one tracker per workload seen within
    /// ``Settings/historySeconds``, each at most 284 histogram buckets and ten read-back minutes; one knee entry an hour.
    public struct State: Sendable, Equatable, StoredRecord {
        public static let schemaVersion = 1

        /// The knee evidence of one hour.
        public struct KneeHour: Sendable, Equatable, Codable {
            public var index: Int64
            public var knee: MemoryKnee
        }

        /// The least available memory of one minute.
        public struct AvailableMinute: Sendable, Equatable, Codable {
            public var index: Int64
            public var bytes: UInt64
        }

        /// Workload name to its demand.
        public var workloads: [String: DemandTracker] = [:]
        /// The host's own memory outside workloads (or, with a capacity cgroup, inside it but outside its workloads).
        public var remainder: DemandTracker?
        /// Host `pswpin` (or the capacity cgroup's anon refaults) as read back over the last minutes.
        public var readBack = SwapReadBack()
        /// Oldest first.
        public var knee: [KneeHour] = []
        public var calibration: CalibrationResult?
        /// Time covered by sweeps, gaps over five minutes (the daemon down) left out.
        public var observedSeconds: Double = 0
        /// Least available memory since the last detection window closed.
        public var availableSinceWindow: UInt64?
        /// The least available memory per minute over the knee's lookback, oldest first.
        public var recentAvailable: [AvailableMinute] = []
        /// The largest raw demand (used + swapped + ballooned) of this and the previous peak interval.
        public var peak: HostMemoryDemand?
        public var peakAtSeconds: Double?
        public var previousPeak: HostMemoryDemand?
        public var previousPeakAtSeconds: Double?
        public var latest: HostMemoryDemand?
        public var latestAtSeconds: Double?
        /// The boot clock's time of the latest sweep (``Sweep/uptimeSeconds``), to tell a stepped wall clock.
        public var latestUptimeSeconds: Double?
        /// The latest sweep's scoped figures.
        public var latestInstalledBytes: UInt64?
        public var latestAvailableBytes: UInt64?
        public var latestSwappedBytes: UInt64?
        /// VM name to what its balloon held back in the latest sweep (only inflated ones).
        public var latestBallooned: [String: UInt64] = [:]
        /// The capacity cgroup the latest sweep was sized against; `nil` for the whole host.
        public var scope: String?

        public init() {}

        private enum CodingKeys: String, CodingKey {
            case workloads, remainder, readBack, knee, calibration, observedSeconds, availableSinceWindow, recentAvailable, peak, peakAtSeconds,
                 previousPeak, previousPeakAtSeconds, latest, latestAtSeconds, latestUptimeSeconds, latestInstalledBytes, latestAvailableBytes,
                 latestSwappedBytes, latestBallooned, scope
        }

        /// Every field defaults, so the first version's state (one peak per minute, no workloads) still decodes; its
        /// peaks are not carried over, as they counted cold swap in full.
        public init(from decoder: any Decoder) throws {
            _ = try Self.decodeSchemaVersion(from: decoder)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.workloads = try c.decodeIfPresent([String: DemandTracker].self, forKey: .workloads) ?? [:]
            self.remainder = try c.decodeIfPresent(DemandTracker.self, forKey: .remainder)
            self.readBack = try c.decodeIfPresent(SwapReadBack.self, forKey: .readBack) ?? SwapReadBack()
            self.knee = try c.decodeIfPresent([KneeHour].self, forKey: .knee) ?? []
            self.calibration = try c.decodeIfPresent(CalibrationResult.self, forKey: .calibration)
            self.observedSeconds = try c.decodeIfPresent(Double.self, forKey: .observedSeconds) ?? 0
            self.availableSinceWindow = try c.decodeIfPresent(UInt64.self, forKey: .availableSinceWindow)
            self.recentAvailable = try c.decodeIfPresent([AvailableMinute].self, forKey: .recentAvailable) ?? []
            self.peak = try c.decodeIfPresent(HostMemoryDemand.self, forKey: .peak)
            self.peakAtSeconds = try c.decodeIfPresent(Double.self, forKey: .peakAtSeconds)
            self.previousPeak = try c.decodeIfPresent(HostMemoryDemand.self, forKey: .previousPeak)
            self.previousPeakAtSeconds = try c.decodeIfPresent(Double.self, forKey: .previousPeakAtSeconds)
            self.latest = try c.decodeIfPresent(HostMemoryDemand.self, forKey: .latest)
            self.latestAtSeconds = try c.decodeIfPresent(Double.self, forKey: .latestAtSeconds)
            self.latestUptimeSeconds = try c.decodeIfPresent(Double.self, forKey: .latestUptimeSeconds)
            self.latestInstalledBytes = try c.decodeIfPresent(UInt64.self, forKey: .latestInstalledBytes)
            self.latestAvailableBytes = try c.decodeIfPresent(UInt64.self, forKey: .latestAvailableBytes)
            self.latestSwappedBytes = try c.decodeIfPresent(UInt64.self, forKey: .latestSwappedBytes)
            self.latestBallooned = try c.decodeIfPresent([String: UInt64].self, forKey: .latestBallooned) ?? [:]
            self.scope = try c.decodeIfPresent(String.self, forKey: .scope)
        }

        public func encode(to encoder: any Encoder) throws {
            try Self.encodeSchemaVersion(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.workloads, forKey: .workloads)
            try c.encodeIfPresent(self.remainder, forKey: .remainder)
            try c.encode(self.readBack, forKey: .readBack)
            try c.encode(self.knee, forKey: .knee)
            try c.encodeIfPresent(self.calibration, forKey: .calibration)
            try c.encode(self.observedSeconds, forKey: .observedSeconds)
            try c.encodeIfPresent(self.availableSinceWindow, forKey: .availableSinceWindow)
            try c.encode(self.recentAvailable, forKey: .recentAvailable)
            try c.encodeIfPresent(self.peak, forKey: .peak)
            try c.encodeIfPresent(self.peakAtSeconds, forKey: .peakAtSeconds)
            try c.encodeIfPresent(self.previousPeak, forKey: .previousPeak)
            try c.encodeIfPresent(self.previousPeakAtSeconds, forKey: .previousPeakAtSeconds)
            try c.encodeIfPresent(self.latest, forKey: .latest)
            try c.encodeIfPresent(self.latestAtSeconds, forKey: .latestAtSeconds)
            try c.encodeIfPresent(self.latestUptimeSeconds, forKey: .latestUptimeSeconds)
            try c.encodeIfPresent(self.latestInstalledBytes, forKey: .latestInstalledBytes)
            try c.encodeIfPresent(self.latestAvailableBytes, forKey: .latestAvailableBytes)
            try c.encodeIfPresent(self.latestSwappedBytes, forKey: .latestSwappedBytes)
            try c.encode(self.latestBallooned, forKey: .latestBallooned)
            try c.encodeIfPresent(self.scope, forKey: .scope)
        }
    }
}
