import Detectors
import Testing

struct SignalModelTests {
    private func workload(swap: UInt64, majfault: UInt64, psiMicros: UInt64, oom: UInt64 = 0) -> WorkloadSample {
        WorkloadSample(name: "w", kind: .cgroup, cgroup: "/w", cgroupVersion: 1, usageBytes: 100, swapBytes: swap,
                       stat: [.pgmajfault: majfault],
                       pressure: PSIStats(some: PSILine(avg10Percent: 0, avg60Percent: 0, avg300Percent: 0, totalMicroseconds: psiMicros), full: nil),
                       events: ["oom_kill": oom])
    }

    @Test func ratesFromTwoSamples() {
        let signals = SignalModel.workload(previous: self.workload(swap: 1000, majfault: 10, psiMicros: 0),
                                           current: self.workload(swap: 5000, majfault: 30, psiMicros: 2_500_000, oom: 1),
                                           elapsedSeconds: 10)
        #expect(signals.swapOutBytesPerSecond == 400)
        #expect(signals.swapInBytesPerSecond == 0)
        #expect(signals.majorFaultsPerSecond == 2)
        #expect(signals.psiMemorySomeRatio == 0.25)
        #expect(signals.psiMemoryFullRatio == nil)
        #expect(signals.oomKills == 1)
        #expect(signals.swapUsageBytes == 5000)
    }

    @Test func resetCountersGiveNilNotNegative() {
        let signals = SignalModel.workload(previous: self.workload(swap: 0, majfault: 500, psiMicros: 9_000_000),
                                           current: self.workload(swap: 0, majfault: 3, psiMicros: 10),
                                           elapsedSeconds: 10)
        #expect(signals.majorFaultsPerSecond == nil)
        #expect(signals.psiMemorySomeRatio == nil)
    }

    @Test func firstWindowHasLevelsOnly() {
        let signals = SignalModel.workload(previous: nil, current: self.workload(swap: 7, majfault: 1, psiMicros: 1), elapsedSeconds: 10)
        #expect(signals.swapUsageBytes == 7)
        #expect(signals.majorFaultsPerSecond == nil)
    }

    @Test func hostSwapPagesBecomeBytes() {
        let before = HostSample(vmstat: ["pswpin": 10, "pswpout": 100])
        let after = HostSample(meminfoBytes: ["MemTotal": 8, "MemAvailable": 2], vmstat: ["pswpin": 20, "pswpout": 300])
        let host = SignalModel.host(previous: before, current: after, elapsedSeconds: 10, pageSizeBytes: 4096)
        #expect(host.swapInBytesPerSecond == 4096)
        #expect(host.swapOutBytesPerSecond == Double(20 * 4096))
        #expect(host.memAvailableBytes == 2)
    }

    @Test func balloonShrinkIsTheDecreaseOfActual() {
        var signals = WorkloadSignals()
        let before = VMSample(name: "vm", source: .qmp, up: true, balloonActualBytes: 1024)
        let after = VMSample(name: "vm", source: .qmp, up: true, balloonActualBytes: 256)
        SignalModel.addVM(previous: before, current: after, elapsedSeconds: 5, to: &signals)
        #expect(signals.balloonShrinkBytes == 768)
        #expect(signals.balloonActualBytes == 256)
    }
}

struct SignalModelEventTests {
    @Test func onlyMemoryHighThrottlingCountsAsHighEvents() {
        let before = WorkloadSample(name: "w", kind: .cgroup, cgroup: "/w", cgroupVersion: 2, events: ["high": 1, "max": 10])
        let after = WorkloadSample(name: "w", kind: .cgroup, cgroup: "/w", cgroupVersion: 2, events: ["high": 4, "max": 90000])
        #expect(SignalModel.workload(previous: before, current: after, elapsedSeconds: 5).highEvents == 3)
        let v1Before = WorkloadSample(name: "w", kind: .cgroup, cgroup: "/w", cgroupVersion: 1, events: ["max": 10])
        let v1After = WorkloadSample(name: "w", kind: .cgroup, cgroup: "/w", cgroupVersion: 1, events: ["max": 90000])
        #expect(SignalModel.workload(previous: v1Before, current: v1After, elapsedSeconds: 5).highEvents == nil)
    }
}
