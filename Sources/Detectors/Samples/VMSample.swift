/// One virtual machine's memory signals exactly as QEMU (over QMP) or libvirt reported them.
///
/// Every number is optional: a VM without a balloon device, a guest without the balloon driver, or a source that
/// does not expose a value gives `nil`, never 0. Cumulative counters (faults, swap, events) stay cumulative; rates are
/// derived later, in one pure step, like ``HostSample``.
///
/// A failed read is still a sample: ``up`` is `false` and ``error`` says what went wrong, so one dead VM is visible
/// without hiding the others.
public struct VMSample: Sendable, Equatable, Codable {
    /// Where the numbers came from.
    public enum Source: String, Sendable, Codable, CaseIterable {
        /// InterferenceWatch's own QMP connection to a QEMU monitor socket.
        case qmp
        /// `virsh` (libvirt owns the QMP monitor of its domains).
        case libvirt
    }

    /// What the guest's virtio-balloon driver last reported (QMP `qom-get guest-stats`, libvirt `dommemstat`).
    ///
    /// QEMU sends `18446744073709551615` (documented as -1) for a statistic the guest does not provide; that and a
    /// missing key both decode to `nil`.
    public struct GuestStats: Sendable, Equatable, Codable {
        /// `stat-free-memory` (libvirt `unused`): memory the guest leaves completely unused, bytes.
        public var freeBytes: UInt64?
        /// `stat-available-memory` (libvirt `usable`): the guest's `MemAvailable`, bytes.
        public var availableBytes: UInt64?
        /// `stat-total-memory` (libvirt `available`, a misleading name): the guest's `MemTotal`, bytes.
        public var totalBytes: UInt64?
        /// `stat-disk-caches` (libvirt `disk_caches`): page cache the guest could drop, bytes.
        public var diskCachesBytes: UInt64?
        /// `stat-swap-in` (libvirt `swap_in`): cumulative bytes swapped in by the guest.
        public var swapInBytes: UInt64?
        /// `stat-swap-out` (libvirt `swap_out`): cumulative bytes swapped out by the guest.
        public var swapOutBytes: UInt64?
        /// `stat-major-faults` (libvirt `major_fault`): cumulative count.
        public var majorFaults: UInt64?
        /// `stat-minor-faults` (libvirt `minor_fault`): cumulative count.
        public var minorFaults: UInt64?
        /// `last-update` (libvirt `last_update`): host wall-clock time (Unix seconds) of the guest's last report;
        /// `nil` while the guest has never reported (QEMU sends 0).
        public var lastUpdateSeconds: UInt64?

        public init(freeBytes: UInt64? = nil, availableBytes: UInt64? = nil, totalBytes: UInt64? = nil,
                    diskCachesBytes: UInt64? = nil, swapInBytes: UInt64? = nil, swapOutBytes: UInt64? = nil,
                    majorFaults: UInt64? = nil, minorFaults: UInt64? = nil, lastUpdateSeconds: UInt64? = nil) {
            self.freeBytes = freeBytes
            self.availableBytes = availableBytes
            self.totalBytes = totalBytes
            self.diskCachesBytes = diskCachesBytes
            self.swapInBytes = swapInBytes
            self.swapOutBytes = swapOutBytes
            self.majorFaults = majorFaults
            self.minorFaults = minorFaults
            self.lastUpdateSeconds = lastUpdateSeconds
        }

        /// `true` when the guest has reported nothing at all (no driver, or polling never enabled).
        public var isEmpty: Bool { self == GuestStats() }
    }

    /// The VM's name (`vm` label): QMP `query-name` or the configured name; the libvirt domain name.
    public var name: String
    public var source: Source
    /// `false` when the last read failed; the numbers are then absent and ``error`` says why.
    public var up: Bool
    /// Run state: QMP `query-status` `status` (`running`, `paused`, `shutdown`, ...), libvirt `dominfo` `State`.
    public var status: String?
    /// RAM the VM was started with: QMP `query-memory-size-summary` `base-memory`; libvirt `dominfo` `Max memory`.
    public var configuredBytes: UInt64?
    /// Guest-visible RAM now, i.e. configured RAM minus the balloon: QMP `query-balloon` `actual`, libvirt `actual`.
    public var balloonActualBytes: UInt64?
    /// What the balloon is asked to reach: libvirt `dominfo` `Used memory` (the domain's `currentMemory`).
    /// QMP cannot read back the last `balloon` request, so QMP samples leave it `nil`.
    public var balloonTargetBytes: UInt64?
    /// The most RAM the VM may have: QMP `base-memory` + `plugged-memory`; libvirt `dominfo` `Max memory`.
    public var maximumBytes: UInt64?
    /// The guest's own view, through the balloon driver; `nil` when there is no balloon device.
    public var guestStats: GuestStats?
    /// Host RSS of the QEMU process: libvirt `rss`; for QMP filled from the process when ``pid`` is known.
    public var rssBytes: UInt64?
    /// QMP events seen since InterferenceWatch started watching this VM, by event name (`BALLOON_CHANGE`, `STOP`,
    /// ...). Cumulative across reconnections. Empty for libvirt.
    public var eventCounts: [String: UInt64]
    /// `BALLOON_CHANGE` events seen (the same count as `eventCounts["BALLOON_CHANGE"]`, kept apart for the detectors).
    public var balloonChanges: UInt64
    /// QEMU's timestamp (Unix seconds) of the latest `BALLOON_CHANGE` event.
    public var lastBalloonChangeSeconds: Double?
    /// The `actual` carried by the latest `BALLOON_CHANGE` event, bytes.
    public var lastBalloonChangeActualBytes: UInt64?
    /// The QEMU process id, when known.
    public var pid: Int32?
    /// Wall-clock time (Unix seconds) at which this sample was read.
    public var collectedAtSeconds: Double?
    /// How long the read took, seconds.
    public var readDurationSeconds: Double?
    /// Why the last read failed (names the socket or the virsh command); `nil` when ``up``.
    public var error: String?

    public init(name: String, source: Source, up: Bool, status: String? = nil, configuredBytes: UInt64? = nil,
                balloonActualBytes: UInt64? = nil, balloonTargetBytes: UInt64? = nil, maximumBytes: UInt64? = nil,
                guestStats: GuestStats? = nil, rssBytes: UInt64? = nil, eventCounts: [String: UInt64] = [:],
                balloonChanges: UInt64 = 0, lastBalloonChangeSeconds: Double? = nil,
                lastBalloonChangeActualBytes: UInt64? = nil, pid: Int32? = nil, collectedAtSeconds: Double? = nil,
                readDurationSeconds: Double? = nil, error: String? = nil) {
        self.name = name
        self.source = source
        self.up = up
        self.status = status
        self.configuredBytes = configuredBytes
        self.balloonActualBytes = balloonActualBytes
        self.balloonTargetBytes = balloonTargetBytes
        self.maximumBytes = maximumBytes
        self.guestStats = guestStats
        self.rssBytes = rssBytes
        self.eventCounts = eventCounts
        self.balloonChanges = balloonChanges
        self.lastBalloonChangeSeconds = lastBalloonChangeSeconds
        self.lastBalloonChangeActualBytes = lastBalloonChangeActualBytes
        self.pid = pid
        self.collectedAtSeconds = collectedAtSeconds
        self.readDurationSeconds = readDurationSeconds
        self.error = error
    }

    /// Memory the balloon currently holds back from the guest (configured minus actual), when both are known.
    public var balloonInflatedBytes: UInt64? {
        guard let configured = self.configuredBytes, let actual = self.balloonActualBytes else { return nil }
        return configured > actual ? configured - actual : 0
    }

    private enum CodingKeys: String, CodingKey {
        case name, source, up, status, configuredBytes, balloonActualBytes, balloonTargetBytes, maximumBytes,
             guestStats, rssBytes, eventCounts, balloonChanges, lastBalloonChangeSeconds, lastBalloonChangeActualBytes,
             pid, collectedAtSeconds, readDurationSeconds, error
    }

    /// Counters default to zero and everything else to absent, so older records still decode (see ``StoredRecord``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try c.decode(String.self, forKey: .name)
        self.source = try c.decode(Source.self, forKey: .source)
        self.up = try c.decodeIfPresent(Bool.self, forKey: .up) ?? false
        self.status = try c.decodeIfPresent(String.self, forKey: .status)
        self.configuredBytes = try c.decodeIfPresent(UInt64.self, forKey: .configuredBytes)
        self.balloonActualBytes = try c.decodeIfPresent(UInt64.self, forKey: .balloonActualBytes)
        self.balloonTargetBytes = try c.decodeIfPresent(UInt64.self, forKey: .balloonTargetBytes)
        self.maximumBytes = try c.decodeIfPresent(UInt64.self, forKey: .maximumBytes)
        self.guestStats = try c.decodeIfPresent(GuestStats.self, forKey: .guestStats)
        self.rssBytes = try c.decodeIfPresent(UInt64.self, forKey: .rssBytes)
        self.eventCounts = try c.decodeIfPresent([String: UInt64].self, forKey: .eventCounts) ?? [:]
        self.balloonChanges = try c.decodeIfPresent(UInt64.self, forKey: .balloonChanges) ?? 0
        self.lastBalloonChangeSeconds = try c.decodeIfPresent(Double.self, forKey: .lastBalloonChangeSeconds)
        self.lastBalloonChangeActualBytes = try c.decodeIfPresent(UInt64.self, forKey: .lastBalloonChangeActualBytes)
        self.pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
        self.collectedAtSeconds = try c.decodeIfPresent(Double.self, forKey: .collectedAtSeconds)
        self.readDurationSeconds = try c.decodeIfPresent(Double.self, forKey: .readDurationSeconds)
        self.error = try c.decodeIfPresent(String.self, forKey: .error)
    }
}
