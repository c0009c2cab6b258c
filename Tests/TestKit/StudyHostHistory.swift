import Detectors

/// Generated history of one of the study's hosts under `stress -m`, whose right answer is known: sweeps as the
/// daemon would read them (meminfo, vmstat `pswpin`, QMP VMs with balloons and QEMU RSS) and the detection windows
/// it would have closed (an imbalance with a swap cause while the host swaps or balloons, calm windows otherwise).
///
/// The model: the host's own memory, the VMs (guest RAM plus QEMU overhead) and the stress workers want memory;
/// once they want more than RAM leaves free, balloons first take up to a quarter of each VM back (as a MOM-like
/// policy would), then the rest goes to swap and is read back while the VMs keep faulting it in.
public struct StudyHostHistory: Sendable {
    public static let mib: UInt64 = 1 << 20
    public static let gib: UInt64 = 1 << 30

    public var ramBytes: UInt64
    public var vmCount: Int
    public var vmBytes: UInt64
    /// Workers added per step (the study: 1 on HostA, 20 on HostB).
    public var workersPerStep: Int
    public var maxWorkers: Int
    public var workerBytes: UInt64 = 256 << 20
    /// Seconds each stress level holds.
    public var stepSeconds: Double = 600
    /// The host's own memory (Ubuntu 18.04 desktop, as on the study's hosts).
    public var baseBytes: UInt64 = 1536 << 20
    public var qemuOverheadBytes: UInt64 = 100 << 20
    /// What the kernel keeps free under pressure.
    public var minFreeBytes: UInt64 = 128 << 20
    public var swapTotalBytes: UInt64 = 8 << 30
    /// Swap read back per second while the host swaps.
    public var readBackBytesPerSecond: UInt64 = 8 << 20
    public var intervalSeconds: Double = 15
    public var windowSeconds: Double = 60

    /// HostA: 8 GB, four 1 GB VMs, stress by one worker at a time.
    public static func hostA(maxWorkers: Int = 12) -> StudyHostHistory {
        StudyHostHistory(ramBytes: 8 * gib, vmCount: 4, vmBytes: gib, workersPerStep: 1, maxWorkers: maxWorkers)
    }

    /// HostB: 32 GB, four 2 GB VMs, stress by twenty workers at a time.
    public static func hostB(maxWorkers: Int = 60) -> StudyHostHistory {
        StudyHostHistory(ramBytes: 32 * gib, vmCount: 4, vmBytes: 2 * gib, workersPerStep: 20, maxWorkers: maxWorkers)
    }

    public init(ramBytes: UInt64, vmCount: Int, vmBytes: UInt64, workersPerStep: Int, maxWorkers: Int) {
        self.ramBytes = ramBytes
        self.vmCount = vmCount
        self.vmBytes = vmBytes
        self.workersPerStep = workersPerStep
        self.maxWorkers = maxWorkers
    }

    /// One sweep or one closed window, in time order.
    public enum Event: Sendable {
        case sweep(Sweep)
        case window([GroupVerdict], endSeconds: Double)
    }

    /// Stress levels from none to `maxWorkers`, each held `stepSeconds`, from `startSeconds`.
    public func events(startSeconds: Double = 1_767_225_600) -> [Event] {
        let steps = self.maxWorkers / self.workersPerStep + 1
        let end = startSeconds + Double(steps) * self.stepSeconds
        var events: [Event] = []
        var pswpinPages: UInt64 = 0
        var windowStart = startSeconds
        var windowSwapping = false
        var at = startSeconds
        while at < end {
            let workers = min(self.maxWorkers, Int((at - startSeconds) / self.stepSeconds) * self.workersPerStep)
            let vmWant = self.vmBytes + self.qemuOverheadBytes
            let want = self.baseBytes + UInt64(workers) * self.workerBytes + UInt64(self.vmCount) * vmWant
            let room = self.ramBytes - self.minFreeBytes
            var deficit = want > room ? want - room : 0
            let balloonEach = min(self.vmBytes / 4, deficit / UInt64(self.vmCount))
            deficit -= balloonEach * UInt64(self.vmCount)
            let swapped = min(deficit, self.swapTotalBytes)
            if swapped > 0 { pswpinPages += self.readBackBytesPerSecond * UInt64(self.intervalSeconds) / 4096 }
            let available = want > room ? self.minFreeBytes : self.ramBytes - want
            let host = HostSample(meminfoBytes: ["MemTotal": self.ramBytes, "MemAvailable": available, "SwapTotal": self.swapTotalBytes,
                                                 "SwapFree": self.swapTotalBytes - swapped, "SwapCached": 0],
                                  vmstat: ["pswpin": pswpinPages])
            let vms = (1...self.vmCount).map { index in
                let actual = self.vmBytes - balloonEach
                return VMSample(name: "vm\(index)", source: .qmp, up: true, status: "running", configuredBytes: self.vmBytes,
                                balloonActualBytes: actual, rssBytes: actual + self.qemuOverheadBytes)
            }
            events.append(.sweep(Sweep(atSeconds: at, host: host, vms: vms)))
            // Ballooning alone already slowed the study's VMs: pressure is either.
            windowSwapping = windowSwapping || swapped > 0 || balloonEach > 0
            at += self.intervalSeconds
            if at - windowStart >= self.windowSeconds {
                events.append(.window([self.verdict(start: windowStart, end: at, swapping: windowSwapping)], endSeconds: at))
                windowStart = at
                windowSwapping = false
            }
        }
        return events
    }

    /// The group of four servers: balanced while the host has room, server 2 slower with a host swap cause otherwise.
    func verdict(start: Double, end: Double, swapping: Bool) -> GroupVerdict {
        let finding = Finding(server: "s2", group: "lab", kind: .imbalance, ratio: 1.84, sinceSeconds: start,
                              causes: [Cause(signal: CauseSignal.hostSwap.rawValue, scope: .host, subject: nil, beforeValue: 0,
                                             duringValue: Double(self.readBackBytesPerSecond), correlation: 0.9, score: 3,
                                             summary: "host swapped")])
        return GroupVerdict(group: "lab", startSeconds: start, endSeconds: end, servers: [],
                            imbalanceRatio: swapping ? 1.84 : 1.02, fairnessIndex: swapping ? 0.9 : 0.999,
                            coefficientOfVariation: nil, groupSlowdownRatio: swapping ? 1.5 : 1.0,
                            findings: swapping ? [finding] : [])
    }

    /// Feeds every event to an advisor.
    public func replay(into advisor: inout MinimumHostMemoryAdvisor, startSeconds: Double = 1_767_225_600) {
        for event in self.events(startSeconds: startSeconds) {
            switch event {
            case .sweep(let sweep): advisor.record(sweep)
            case .window(let verdicts, let end): advisor.recordWindow(verdicts, endSeconds: end)
            }
        }
    }
}
