/// Derives per-window rates from two raw samples: the one pure step between what the kernel said and what the
/// detectors consume.
///
/// Counters that went backwards (a restarted workload, a recreated cgroup) give `nil` for that signal, never a
/// negative rate. Missing inputs give `nil`, never 0.
public enum SignalModel {
    /// Host-wide signals between two host samples.
    ///
    /// - Parameter pageSizeBytes: vmstat counts swap in pages.
    public static func host(previous: HostSample, current: HostSample, elapsedSeconds: Double,
                            pageSizeBytes: Double) -> HostSignals {
        let vmPrevious = previous.vmstat, vmCurrent = current.vmstat
        let memory = (previous.pressure[.memory], current.pressure[.memory])
        return HostSignals(
            swapInBytesPerSecond: counterRate(previous: vmPrevious["pswpin"], current: vmCurrent["pswpin"],
                                              elapsedSeconds: elapsedSeconds).map { $0 * pageSizeBytes },
            swapOutBytesPerSecond: counterRate(previous: vmPrevious["pswpout"], current: vmCurrent["pswpout"],
                                               elapsedSeconds: elapsedSeconds).map { $0 * pageSizeBytes },
            psiMemorySomeRatio: Self.stallRatio(memory.0?.some, memory.1?.some, elapsedSeconds),
            psiMemoryFullRatio: Self.stallRatio(memory.0?.full, memory.1?.full, elapsedSeconds),
            majorFaultsPerSecond: counterRate(previous: vmPrevious["pgmajfault"], current: vmCurrent["pgmajfault"],
                                              elapsedSeconds: elapsedSeconds),
            memAvailableBytes: current.meminfoBytes["MemAvailable"].map { Double($0) },
            memTotalBytes: current.meminfoBytes["MemTotal"].map { Double($0) })
    }

    /// One workload's signals between two samples of it (`previous` nil on its first window: levels only).
    ///
    /// cgroups count no per-cgroup swap-in/out events, so swap traffic is read from the change in swap usage:
    /// growth is swap-out, shrinkage swap-in. A workload thrashing at a steady swap level shows up in its major
    /// faults and refaults instead, which the attribution ranks too.
    public static func workload(previous: WorkloadSample?, current: WorkloadSample, elapsedSeconds: Double) -> WorkloadSignals {
        var signals = WorkloadSignals()
        signals.memoryUsageBytes = current.usageBytes.map { Double($0) }
        signals.swapUsageBytes = current.swapBytes.map { Double($0) }
        guard let previous, elapsedSeconds > 0 else { return signals }
        if let before = previous.swapBytes, let after = current.swapBytes {
            let change = Double(after) - Double(before)
            signals.swapOutBytesPerSecond = max(change, 0) / elapsedSeconds
            signals.swapInBytesPerSecond = max(-change, 0) / elapsedSeconds
        }
        signals.majorFaultsPerSecond = counterRate(previous: previous.majorFaults, current: current.majorFaults,
                                                   elapsedSeconds: elapsedSeconds)
        signals.refaultsPerSecond = counterRate(previous: previous.refaults, current: current.refaults,
                                                elapsedSeconds: elapsedSeconds)
        signals.psiMemorySomeRatio = Self.stallRatio(previous.pressure?.some, current.pressure?.some, elapsedSeconds)
        signals.psiMemoryFullRatio = Self.stallRatio(previous.pressure?.full, current.pressure?.full, elapsedSeconds)
        signals.oomKills = counterDelta(previous: previous.events["oom_kill"], current: current.events["oom_kill"]).map { Double($0) }
        // Only memory.high throttling (v2 `high`): it sleeps the workload's tasks on purpose, a cause of its own.
        // Hard-limit hits (v2 `max`, v1 failcnt) count every failed charge, thousands a second under a tight
        // limit; what they do to latency shows up as the swap, faults and stall they trigger, which are ranked.
        signals.highEvents = counterDelta(previous: previous.events["high"], current: current.events["high"]).map { Double($0) }
        return signals
    }

    /// Adds a VM's balloon and guest-side signals to its workload's signals.
    public static func addVM(previous: VMSample?, current: VMSample, elapsedSeconds: Double, to signals: inout WorkloadSignals) {
        signals.balloonActualBytes = current.balloonActualBytes.map { Double($0) }
        guard let previous, elapsedSeconds > 0 else { return }
        if let before = previous.balloonActualBytes, let after = current.balloonActualBytes {
            signals.balloonShrinkBytes = before > after ? Double(before - after) : 0
        }
        let old = previous.guestStats, new = current.guestStats
        signals.guestSwapInBytesPerSecond = counterRate(previous: old?.swapInBytes, current: new?.swapInBytes,
                                                        elapsedSeconds: elapsedSeconds)
        signals.guestSwapOutBytesPerSecond = counterRate(previous: old?.swapOutBytes, current: new?.swapOutBytes,
                                                         elapsedSeconds: elapsedSeconds)
        signals.guestMajorFaultsPerSecond = counterRate(previous: old?.majorFaults, current: new?.majorFaults,
                                                        elapsedSeconds: elapsedSeconds)
    }

    /// Share of the interval stalled, from two PSI totals (microseconds); clamped to 0...1.
    static func stallRatio(_ previous: PSILine?, _ current: PSILine?, _ elapsedSeconds: Double) -> Double? {
        guard let rate = counterRate(previous: previous?.totalMicroseconds, current: current?.totalMicroseconds,
                                     elapsedSeconds: elapsedSeconds) else { return nil }
        return min(max(rate / 1e6, 0), 1)
    }
}
