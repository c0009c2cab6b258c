/// What `interference-watch calibrate` measured: memory pressure raised step by step and what latency did.
///
/// Stored in history; its knee joins the advisor's (``MemoryKnee``), so the recommendation uses it.
public struct CalibrationResult: Sendable, Equatable, StoredRecord {
    public static let schemaVersion = 1

    /// One group's latency and fairness at one step, from the detection windows that closed during it.
    public struct GroupReading: Sendable, Equatable, Codable {
        public var group: String
        /// Median task time over the group's servers, seconds.
        public var medianSeconds: Double?
        /// Slowest over fastest server median.
        public var imbalanceRatio: Double?
        /// Jain's fairness index of the servers' medians (1 = equal).
        public var fairnessIndex: Double?
        /// Findings open at the end of the step (`kind` and top cause, like `imbalance s2: workload_refaults`).
        public var findings: [String]

        public init(group: String, medianSeconds: Double?, imbalanceRatio: Double?, fairnessIndex: Double?, findings: [String]) {
            self.group = group
            self.medianSeconds = medianSeconds
            self.imbalanceRatio = imbalanceRatio
            self.fairnessIndex = fairnessIndex
            self.findings = findings
        }
    }

    /// One step of pressure.
    public struct Step: Sendable, Equatable, Codable {
        public var index: Int
        /// Memory the allocator held and kept touching during the step.
        public var allocatedBytes: UInt64
        public var startSeconds: Double
        public var endSeconds: Double
        /// Least available memory seen during the step (host, or the capacity cgroup).
        public var availableBytes: UInt64?
        /// Swap-in over the step, bytes per second (host, or the capacity cgroup's anon refaults).
        public var swapInBytesPerSecond: Double?
        /// Host PSI memory `some` over the step (0...1).
        public var psiMemorySomeRatio: Double?
        public var groups: [GroupReading]
        /// The daemon opened a finding during the step.
        public var findingOpened: Bool
        /// The largest ratio of a group's median task time to its median in the calm first step.
        public var slowdownRatio: Double?
        /// `slowdownRatio` reached the calibration's threshold: latency broke before the daemon's debounced detection
        /// said so (slow tasks leave few samples per window).
        public var slowedDown: Bool

        /// The step that ends the calibration as the knee's unsafe side.
        public var degraded: Bool { self.findingOpened || self.slowedDown }

        public init(index: Int, allocatedBytes: UInt64, startSeconds: Double, endSeconds: Double, availableBytes: UInt64?,
                    swapInBytesPerSecond: Double?, psiMemorySomeRatio: Double?, groups: [GroupReading], findingOpened: Bool,
                    slowdownRatio: Double? = nil, slowedDown: Bool = false) {
            self.index = index
            self.allocatedBytes = allocatedBytes
            self.startSeconds = startSeconds
            self.endSeconds = endSeconds
            self.availableBytes = availableBytes
            self.swapInBytesPerSecond = swapInBytesPerSecond
            self.psiMemorySomeRatio = psiMemorySomeRatio
            self.groups = groups
            self.findingOpened = findingOpened
            self.slowdownRatio = slowdownRatio
            self.slowedDown = slowedDown
        }

        private enum CodingKeys: String, CodingKey {
            case index, allocatedBytes, startSeconds, endSeconds, availableBytes, swapInBytesPerSecond, psiMemorySomeRatio, groups,
                 findingOpened, slowdownRatio, slowedDown
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.index = try c.decode(Int.self, forKey: .index)
            self.allocatedBytes = try c.decode(UInt64.self, forKey: .allocatedBytes)
            self.startSeconds = try c.decode(Double.self, forKey: .startSeconds)
            self.endSeconds = try c.decode(Double.self, forKey: .endSeconds)
            self.availableBytes = try c.decodeIfPresent(UInt64.self, forKey: .availableBytes)
            self.swapInBytesPerSecond = try c.decodeIfPresent(Double.self, forKey: .swapInBytesPerSecond)
            self.psiMemorySomeRatio = try c.decodeIfPresent(Double.self, forKey: .psiMemorySomeRatio)
            self.groups = try c.decodeIfPresent([GroupReading].self, forKey: .groups) ?? []
            self.findingOpened = try c.decodeIfPresent(Bool.self, forKey: .findingOpened) ?? false
            self.slowdownRatio = try c.decodeIfPresent(Double.self, forKey: .slowdownRatio)
            self.slowedDown = try c.decodeIfPresent(Bool.self, forKey: .slowedDown) ?? false
        }
    }

    public var startedAtSeconds: Double
    public var endedAtSeconds: Double
    /// RAM, or the capacity cgroup's limit.
    public var capacityBytes: UInt64
    /// The capacity cgroup the pressure was raised in; `nil` for the whole host.
    public var capacityCgroup: String?
    public var stepBytes: UInt64
    public var steps: [Step]
    /// Why it stopped: `finding`, `slowdown`, `ceiling`, `reserve`, `time_limit`, `signal`, `allocator_died`, `error: ...`.
    public var stopReason: String
    /// The knee: the last step without a finding (``MemoryKnee/safe``) and the step that opened one (``MemoryKnee/unsafe``).
    public var knee: MemoryKnee

    public init(startedAtSeconds: Double, endedAtSeconds: Double, capacityBytes: UInt64, capacityCgroup: String?,
                stepBytes: UInt64, steps: [Step], stopReason: String) {
        self.startedAtSeconds = startedAtSeconds
        self.endedAtSeconds = endedAtSeconds
        self.capacityBytes = capacityBytes
        self.capacityCgroup = capacityCgroup
        self.stepBytes = stepBytes
        self.steps = steps
        self.stopReason = stopReason
        self.knee = Self.knee(steps: steps, capacityBytes: capacityBytes)
    }

    /// The last calm step before the first degraded one (a finding, or a slowdown) is safe, that step unsafe; with no
    /// degraded step, the most pressed step is safe (the knee lies beyond what was tried).
    static func knee(steps: [Step], capacityBytes: UInt64) -> MemoryKnee {
        var knee = MemoryKnee()
        let measured = steps.filter { $0.availableBytes != nil }
        if let bad = measured.firstIndex(where: \.degraded) {
            let step = measured[bad]
            knee.unsafe = .init(availableBytes: step.availableBytes!, capacityBytes: capacityBytes, atSeconds: step.endSeconds,
                                source: "calibration",
                                detail: "step \(step.index) (\(step.allocatedBytes) bytes allocated) \(step.findingOpened ? "opened a finding" : "slowed tasks down")")
            if bad > 0 {
                let calm = measured[bad - 1]
                knee.safe = .init(availableBytes: calm.availableBytes!, capacityBytes: capacityBytes, atSeconds: calm.endSeconds,
                                  source: "calibration", detail: "step \(calm.index) (\(calm.allocatedBytes) bytes allocated) stayed balanced")
            }
        } else if let calm = measured.last {
            knee.safe = .init(availableBytes: calm.availableBytes!, capacityBytes: capacityBytes, atSeconds: calm.endSeconds,
                              source: "calibration", detail: "step \(calm.index) (\(calm.allocatedBytes) bytes allocated) stayed balanced")
        }
        return knee
    }

    private enum CodingKeys: String, CodingKey {
        case startedAtSeconds, endedAtSeconds, capacityBytes, capacityCgroup, stepBytes, steps, stopReason, knee
    }

    public init(from decoder: any Decoder) throws {
        _ = try Self.decodeSchemaVersion(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.startedAtSeconds = try c.decode(Double.self, forKey: .startedAtSeconds)
        self.endedAtSeconds = try c.decodeIfPresent(Double.self, forKey: .endedAtSeconds) ?? self.startedAtSeconds
        self.capacityBytes = try c.decodeIfPresent(UInt64.self, forKey: .capacityBytes) ?? 0
        self.capacityCgroup = try c.decodeIfPresent(String.self, forKey: .capacityCgroup)
        self.stepBytes = try c.decodeIfPresent(UInt64.self, forKey: .stepBytes) ?? 0
        self.steps = try c.decodeIfPresent([Step].self, forKey: .steps) ?? []
        self.stopReason = try c.decodeIfPresent(String.self, forKey: .stopReason) ?? ""
        // The knee is derived from the steps, so it cannot disagree with them.
        self.knee = Self.knee(steps: self.steps, capacityBytes: self.capacityBytes)
    }

    public func encode(to encoder: any Encoder) throws {
        try Self.encodeSchemaVersion(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.startedAtSeconds, forKey: .startedAtSeconds)
        try c.encode(self.endedAtSeconds, forKey: .endedAtSeconds)
        try c.encode(self.capacityBytes, forKey: .capacityBytes)
        try c.encodeIfPresent(self.capacityCgroup, forKey: .capacityCgroup)
        try c.encode(self.stepBytes, forKey: .stepBytes)
        try c.encode(self.steps, forKey: .steps)
        try c.encode(self.stopReason, forKey: .stopReason)
        try c.encode(self.knee, forKey: .knee)
    }
}
