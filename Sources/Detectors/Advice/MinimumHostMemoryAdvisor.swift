/// Recommends the host RAM (or a capacity cgroup's limit) that the workloads need, from their demand and the latency
/// knee.
///
/// The study's hosts were fair and fast while RAM held every VM whole (32 GB) and degraded once swap and ballooning
/// began (8 GB). So the advice sums what each workload needs, as the Kubernetes VPA recommender sizes containers (the
/// ``Settings/percentile`` of its peak per interval in a decaying histogram), plus the memory outside workloads,
/// counting swap only as far as it is read back, VMs at their configured size (or balloon floor) plus QEMU's own
/// memory; adds a margin; rounds up to whole GiB; and never answers less than keeps more memory available than was
/// available when a memory-caused finding opened (the knee, from detection windows and calibration).
///
/// Pure and deterministic: time comes in with each sweep and window.
public struct MinimumHostMemoryAdvisor: Sendable, Equatable {
    /// The cgroup `interference-watch calibrate` allocates in: never a workload of its own.
    public static let calibrationCgroupName = "interference-watch-calibration"
    /// Gaps between sweeps longer than this (the daemon was down) do not count as observed time.
    static let longestCountedGapSeconds = 300.0

    public let settings: Settings
    /// What the advisor has learned: saved across restarts so the advice does not start from zero.
    public private(set) var state = State()

    public init(settings: Settings = .init(), state: State = State()) {
        self.settings = settings
        self.state = state
        if let last = state.latestAtSeconds { self.forget(before: last - settings.historySeconds) }
    }

    /// Records one sweep. With `demandPaused` (a calibration is raising pressure on purpose) the workloads' peaks
    /// are left alone, while available memory still counts for the knee.
    public mutating func record(_ sweep: Sweep, demandPaused: Bool = false) {
        let at = sweep.atSeconds
        if let last = self.state.latestAtSeconds {
            let previous = Sweep(atSeconds: last, uptimeSeconds: self.state.latestUptimeSeconds)
            let step = ClockStep.between(previous, sweep)
            if let step, step.direction == .backward {
                // The wall clock was stepped back: carry on from the new time instead of ignoring every sweep until
                // the clock is back where it was.
                self.state.rewind(to: at, peakIntervalSeconds: self.settings.peakIntervalSeconds)
            } else {
                // Stepped forward: what was learned moves with the clock, so the step does not age it.
                if let step { self.state.carryForward(bySeconds: step.seconds, peakIntervalSeconds: self.settings.peakIntervalSeconds) }
                guard at > last else { return }  // seen already (or an older record without the boot clock's time)
            }
            let gap = sweep.elapsedSeconds(since: previous)
            if gap > 0 && gap <= Self.longestCountedGapSeconds { self.state.observedSeconds += gap }
        }
        if let raw = HostMemoryDemand(host: sweep.host, vms: sweep.vms) {
            self.state.latest = raw
            self.recordPeak(raw, atSeconds: at)
        }
        self.state.latestAtSeconds = at
        self.state.latestUptimeSeconds = sweep.uptimeSeconds
        guard let reading = SweepMemoryReading(sweep: sweep, settings: self.settings) else { return }
        self.state.scope = self.settings.capacityCgroup
        self.state.latestInstalledBytes = reading.installedBytes
        self.state.latestAvailableBytes = reading.availableBytes
        self.state.latestSwappedBytes = reading.swappedBytes
        self.state.availableSinceWindow = min(self.state.availableSinceWindow ?? .max, reading.availableBytes)
        let minute = Int64((at / 60).rounded(.down))
        if let last = self.state.recentAvailable.indices.last, self.state.recentAvailable[last].index == minute {
            self.state.recentAvailable[last].bytes = min(self.state.recentAvailable[last].bytes, reading.availableBytes)
        } else {
            self.state.recentAvailable.append(.init(index: minute, bytes: reading.availableBytes))
        }
        let oldestMinute = Int64(((at - self.settings.kneeLookbackSeconds) / 60).rounded(.down))
        self.state.recentAvailable.removeAll { $0.index < oldestMinute }
        var ballooned: [String: UInt64] = [:]

        let interval = self.settings.peakIntervalSeconds, reuse = self.settings.swapReuseSeconds
        var workingSetSum: UInt64 = 0, swapSum: UInt64 = 0, readBackSum: UInt64 = 0
        for entry in reading.entries {
            // Mutated in place in the dictionary: a copy out and back would copy each tracker's arrays every sweep.
            if self.state.workloads[entry.name] == nil {
                self.state.workloads[entry.name] = DemandTracker(kind: entry.kind, halfLifeSeconds: self.settings.halfLifeSeconds,
                                                                 atSeconds: at, intervalSeconds: interval)
            }
            self.state.workloads[entry.name]!.readBack.record(counterBytes: entry.readBackCounterBytes, atSeconds: at, windowSeconds: reuse)
            let readBack = min(entry.swapBytes, self.state.workloads[entry.name]!.readBack.totalBytes)
            var parts = DemandParts(workingSetBytes: entry.workingSetBytes, swapReadBackBytes: readBack)
            if let vm = entry.vm {
                let overhead = min(vm.overheadBytes, entry.workingSetBytes)
                let guest = entry.workingSetBytes - overhead
                let held = guest + readBack
                parts = DemandParts(workingSetBytes: guest, swapReadBackBytes: readBack,
                                    vmReservedBytes: vm.guestFloorBytes > held ? vm.guestFloorBytes - held : 0,
                                    vmOverheadBytes: overhead)
                if vm.balloonedBytes > 0 { ballooned[entry.name] = vm.balloonedBytes }
            }
            if !demandPaused { self.state.workloads[entry.name]!.record(parts, atSeconds: at, intervalSeconds: interval) }
            self.state.workloads[entry.name]!.lastSeenSeconds = at
            workingSetSum += entry.workingSetBytes
            swapSum += entry.swapBytes
            readBackSum += readBack
        }
        self.state.latestBallooned = ballooned

        // The remainder: what is used but in no workload, and its share of swap read back.
        self.state.readBack.record(counterBytes: reading.readBackCounterBytes, atSeconds: at, windowSeconds: reuse)
        let remainderSwap = reading.swappedBytes > swapSum ? reading.swappedBytes - swapSum : 0
        let remainderReadBack = self.state.readBack.totalBytes > readBackSum ? self.state.readBack.totalBytes - readBackSum : 0
        let remainder = DemandParts(workingSetBytes: reading.usedBytes > workingSetSum ? reading.usedBytes - workingSetSum : 0,
                                    swapReadBackBytes: min(remainderSwap, remainderReadBack))
        var tracker = self.state.remainder
            ?? DemandTracker(kind: nil, halfLifeSeconds: self.settings.halfLifeSeconds, atSeconds: at, intervalSeconds: interval)
        if !demandPaused { tracker.record(remainder, atSeconds: at, intervalSeconds: interval) }
        tracker.lastSeenSeconds = at
        self.state.remainder = tracker
        self.forget(before: at - self.settings.historySeconds)
    }

    /// Records the verdicts of the detection windows that just closed: the knee's evidence.
    ///
    /// A window where every group has data and none has a finding is calm; one where some finding's top cause is a
    /// memory signal is memory-bound. Findings without a cause, or with another top cause, say nothing of memory.
    public mutating func recordWindow(_ verdicts: [GroupVerdict], endSeconds: Double) {
        defer { self.state.availableSinceWindow = nil }
        guard !verdicts.isEmpty, let available = self.state.availableSinceWindow,
              let capacity = self.state.latestInstalledBytes else { return }
        let findings = verdicts.flatMap(\.findings)
        var knee = MemoryKnee()
        if let bound = findings.first(where: { $0.causes.first.map { CauseSignal(rawValue: $0.signal) != nil } ?? false }) {
            let cause = bound.causes[0]
            // The pressure behind it may have passed already: the least memory available within the lookback.
            let lookback = self.state.recentAvailable.map(\.bytes).min().map { min($0, available) } ?? available
            knee.unsafe = .init(availableBytes: lookback, capacityBytes: capacity, atSeconds: endSeconds, source: "window",
                                detail: "\(bound.kind.rawValue) in group \(bound.group)\(bound.server.map { " (\($0))" } ?? ""), top cause \(cause.signal)")
        } else if findings.isEmpty && verdicts.allSatisfy({ $0.imbalanceRatio != nil || $0.groupSlowdownRatio != nil }) {
            knee.safe = .init(availableBytes: available, capacityBytes: capacity, atSeconds: endSeconds, source: "window",
                              detail: "every group balanced and not slowed")
        } else {
            return
        }
        let hour = Int64((endSeconds / 3600).rounded(.down))
        if let last = self.state.knee.indices.last, self.state.knee[last].index == hour {
            self.state.knee[last].knee.merge(knee)
        } else if self.state.knee.last.map({ $0.index < hour }) ?? true {
            self.state.knee.append(.init(index: hour, knee: knee))
        }
    }

    /// Adds a calibration's curve and knee.
    public mutating func recordCalibration(_ result: CalibrationResult) {
        self.state.calibration = result
    }

    private mutating func recordPeak(_ raw: HostMemoryDemand, atSeconds at: Double) {
        let interval = self.settings.peakIntervalSeconds
        let index = (at / interval).rounded(.down)
        if let peakAt = self.state.peakAtSeconds, (peakAt / interval).rounded(.down) < index {
            // A new interval: the old one's peak becomes the previous one (or is dropped, when older still).
            let adjacent = (peakAt / interval).rounded(.down) == index - 1
            self.state.previousPeak = adjacent ? self.state.peak : nil
            self.state.previousPeakAtSeconds = adjacent ? peakAt : nil
            self.state.peak = nil
            self.state.peakAtSeconds = nil
        }
        if raw.demandBytes >= (self.state.peak?.demandBytes ?? 0) {
            self.state.peak = raw
            self.state.peakAtSeconds = at
        }
    }

    /// Forgets workloads not seen since `cutoff`, and knee evidence from before it.
    private mutating func forget(before cutoff: Double) {
        self.state.workloads = self.state.workloads.filter { $0.value.lastSeenSeconds >= cutoff }
        let hour = Int64((cutoff / 3600).rounded(.down))
        self.state.knee.removeAll { $0.index < hour }
        if let calibration = self.state.calibration, calibration.endedAtSeconds < cutoff { self.state.calibration = nil }
    }

    /// Workloads tracked now (at most the workloads seen within the history).
    public var trackedWorkloads: Int { self.state.workloads.count }
}
