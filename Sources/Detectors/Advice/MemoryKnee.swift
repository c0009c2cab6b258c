/// Where latency broke, in available memory: the evidence the advice takes from the detectors.
///
/// The study's verdict (8 GB too small, 32 GB enough) rests on latency and fairness, not on memory figures. So the
/// advisor remembers two levels of available memory (`MemAvailable`, or a capacity cgroup's limit minus its working
/// set): the least seen in a detection window where every group was balanced and not slowed (``safe``), and the most
/// seen in a window with a finding whose top cause is a memory signal (``unsafe``). Between them lies the knee; the
/// recommendation keeps more than ``unsafe`` free at the estimated demand.
public struct MemoryKnee: Sendable, Equatable, Codable {
    public struct Point: Sendable, Equatable, Codable {
        /// The least available memory during the window (the worst moment of it).
        public var availableBytes: UInt64
        /// RAM (or the capacity cgroup's limit) at the time.
        public var capacityBytes: UInt64
        public var atSeconds: Double
        /// `window` (from detection) or `calibration`.
        public var source: String
        /// What happened: the group and the finding's top cause, or "all groups balanced".
        public var detail: String

        public init(availableBytes: UInt64, capacityBytes: UInt64, atSeconds: Double, source: String, detail: String) {
            self.availableBytes = availableBytes
            self.capacityBytes = capacityBytes
            self.atSeconds = atSeconds
            self.source = source
            self.detail = detail
        }
    }

    /// Least available memory in a window where every group was balanced and not slowed.
    public var safe: Point?
    /// Most available memory in a window with a memory-caused finding.
    public var unsafe: Point?

    public init(safe: Point? = nil, unsafe: Point? = nil) {
        self.safe = safe
        self.unsafe = unsafe
    }

    public var isEmpty: Bool { self.safe == nil && self.unsafe == nil }

    /// Keeps the lower safe point and the higher unsafe point.
    public mutating func merge(_ other: MemoryKnee) {
        if let point = other.safe, point.availableBytes < (self.safe?.availableBytes ?? .max) { self.safe = point }
        if let point = other.unsafe, self.unsafe.map({ point.availableBytes > $0.availableBytes }) ?? true { self.unsafe = point }
    }
}
