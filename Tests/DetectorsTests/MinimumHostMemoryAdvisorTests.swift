import Detectors
import TestKit
import Testing

struct MinimumHostMemoryAdvisorTests {
    static let gib: UInt64 = 1 << 30
    static let mib: UInt64 = 1 << 20
    static let start = 1_767_225_600.0

    // MARK: The study's hosts

    @Test func theStudysSmallHostIsTooSmallAndSwapAndBalloonsAreNamed() throws {
        var advisor = MinimumHostMemoryAdvisor()
        StudyHostHistory.hostA().replay(into: &advisor)
        let advice = try #require(advisor.recommendation())
        #expect(advice.verdict == "short")
        #expect(advice.minimumBytes > 8 * Self.gib, "\(advice.reasons)")
        #expect(advice.shortfallBytes == advice.minimumBytes - 8 * Self.gib)
        #expect(advice.reasons.contains { $0.hasPrefix("Swap:") && $0.contains("read back") && !$0.contains("none of it") }, "\(advice.reasons)")
        #expect(advice.reasons.contains { $0.hasPrefix("Balloons hold back") }, "\(advice.reasons)")
        // Four VMs, each at its configured 1 GiB plus QEMU's 100 MiB, however far its balloon took it down.
        let vms = advice.workloads.filter { $0.kind == .vm }
        #expect(vms.count == 4)
        for vm in vms {
            #expect(vm.estimateBytes == Self.gib + 100 * Self.mib)
            #expect(vm.parts.vmOverheadBytes > 90 * Self.mib)
        }
        // The knee: calm windows before the swap began, a swap-caused imbalance after; the recommendation keeps more
        // than the unsafe level free.
        let unsafe = try #require(advice.knee.unsafe)
        let safe = try #require(advice.knee.safe)
        #expect(unsafe.availableBytes == 128 * Self.mib && safe.availableBytes > unsafe.availableBytes)
        let floor = try #require(advice.knee.floorBytes)
        #expect(advice.minimumBytes >= floor)
        #expect(advice.confidence.enough)
    }

    @Test func theStudysRoomyHostIsEnough() throws {
        var advisor = MinimumHostMemoryAdvisor()
        let host = StudyHostHistory.hostB()
        host.replay(into: &advisor)
        let advice = try #require(advisor.recommendation())
        #expect(advice.verdict == "enough", "\(advice.reasons)")
        #expect(advice.shortfallBytes == 0)
        #expect(advice.minimumBytes <= 32 * Self.gib)
        // It still sizes for the heaviest load: 60 workers of 256 MiB, four 2 GiB VMs and the host's own 1.5 GiB.
        let demand = 1536 * Self.mib + 60 * 256 * Self.mib + 4 * (2 * Self.gib + 100 * Self.mib)
        #expect(Double(advice.demandBytes) >= Double(demand) * 0.98 && Double(advice.demandBytes) <= Double(demand) * 1.06)
        #expect(advice.knee.unsafe == nil && advice.knee.floorBytes == nil)
        #expect(!advice.reasons.contains { $0.hasPrefix("Swap:") || $0.hasPrefix("Balloons") })
    }

    @Test func theStudysShapeHoldsAtOtherSizes() throws {
        // Half and double the small host: still short once stress passes its RAM; a smaller roomy one with fewer workers.
        for (ram, workers) in [(4 * Self.gib, 8), (16 * Self.gib, 40)] {
            var small = StudyHostHistory.hostA(maxWorkers: workers)
            small.ramBytes = ram
            var advisor = MinimumHostMemoryAdvisor()
            small.replay(into: &advisor)
            let advice = try #require(advisor.recommendation())
            #expect(advice.verdict == "short" && advice.minimumBytes > ram, "\(ram): \(advice.reasons)")
        }
        var roomy = StudyHostHistory.hostB(maxWorkers: 20)
        roomy.ramBytes = 24 * Self.gib
        var advisor = MinimumHostMemoryAdvisor()
        roomy.replay(into: &advisor)
        #expect(try #require(advisor.recommendation()).verdict == "enough")
    }

    // MARK: Swap

    static func host(total: UInt64, available: UInt64, swapped: UInt64 = 0, pswpin: UInt64 = 0, at: Double,
                     workloads: [WorkloadSample] = []) -> Sweep {
        Sweep(atSeconds: at,
              host: HostSample(meminfoBytes: ["MemTotal": total, "MemAvailable": available, "SwapTotal": 4 * gib,
                                              "SwapFree": 4 * gib - swapped, "SwapCached": 0],
                               vmstat: ["pswpin": pswpin]),
              workloads: workloads)
    }

    @Test func swapThatIsNeverReadBackIsNotDemand() throws {
        var cold = MinimumHostMemoryAdvisor(), none = MinimumHostMemoryAdvisor()
        for minute in 0..<90 {
            let at = Self.start + Double(minute) * 60
            cold.record(Self.host(total: 16 * Self.gib, available: 6 * Self.gib, swapped: 2 * Self.gib, pswpin: 1000, at: at))
            none.record(Self.host(total: 16 * Self.gib, available: 6 * Self.gib, at: at))
        }
        let advice = try #require(cold.recommendation())
        // 10 GiB used, +15 %: 11.5 GiB, rounded up to 12 GiB; the 2 GiB in swap add nothing.
        #expect(advice.minimumBytes == 12 * Self.gib && advice.verdict == "enough")
        let withoutSwap = try #require(none.recommendation())
        #expect(advice.minimumBytes == withoutSwap.minimumBytes)
        #expect(advice.reasons.contains { $0.contains("none of it was read back") }, "\(advice.reasons)")
        // The raw peak (used + swapped) still shows what sits there.
        #expect(advice.peak.swappedBytes == 2 * Self.gib)
    }

    @Test func swapReadBackCountsUpToWhatSitsInSwap() throws {
        var advisor = MinimumHostMemoryAdvisor()
        var pages: UInt64 = 0
        for minute in 0..<30 {
            // 1 GiB in swap and 128 MiB read back each minute: 1.25 GiB within ten minutes, more than sits in swap.
            pages += 128 * Self.mib / 4096
            advisor.record(Self.host(total: 16 * Self.gib, available: 6 * Self.gib, swapped: Self.gib, pswpin: pages,
                                     at: Self.start + Double(minute) * 60))
        }
        let advice = try #require(advisor.recommendation())
        #expect(advice.remainder.swapReadBackBytes == Self.gib)
        // 10 + 1 GiB, +15 %: 12.65 GiB, so 13 GiB.
        #expect(advice.minimumBytes == 13 * Self.gib)
    }

    // MARK: Workloads and scope

    static func cgroup(_ name: String, _ path: String, usage: UInt64, inactive: UInt64 = 0, limit: UInt64? = nil) -> WorkloadSample {
        WorkloadSample(name: name, kind: .container, cgroup: path, cgroupVersion: 2, usageBytes: usage, limitBytes: limit,
                       swapBytes: 0, stat: [.inactiveFile: inactive, .workingsetRefaultAnon: 0])
    }

    @Test func workloadsCountTheirWorkingSetOnceAndTheRemainderIsTheRest() throws {
        var advisor = MinimumHostMemoryAdvisor()
        let workloads = [
            Self.cgroup("web", "/system.slice/web", usage: 3 * Self.gib, inactive: Self.gib),
            // Inside web: part of it, not counted again.
            Self.cgroup("web-worker", "/system.slice/web/worker", usage: Self.gib),
            Self.cgroup("db", "/system.slice/db", usage: 3 * Self.gib),
            // The same name elsewhere: one workload, summed.
            Self.cgroup("db", "/system.slice/db-replica", usage: Self.gib),
        ]
        advisor.record(Self.host(total: 16 * Self.gib, available: 8 * Self.gib, at: Self.start, workloads: workloads))
        let advice = try #require(advisor.recommendation())
        #expect(advice.workloads.map(\.workload) == ["db", "web"])
        #expect(advice.workloads.first?.estimateBytes == 4 * Self.gib)
        // Usage less inactive page cache.
        let web = try #require(advice.workloads.first { $0.workload == "web" })
        #expect(web.estimateBytes == 2 * Self.gib)
        #expect(web.parts.workingSetBytes == web.estimateBytes)
        // 8 GiB used, 6 GiB of it in workloads: 2 GiB outside.
        #expect(advice.remainder.workingSetBytes == 2 * Self.gib)
        #expect(!advice.confidence.enough)
    }

    @Test func aCapacityCgroupIsSizedAgainstItsLimitWithItsOwnWorkloads() throws {
        var advisor = MinimumHostMemoryAdvisor(settings: .init(granularityBytes: 256 * Self.mib, capacityCgroup: "/lab.slice"))
        var sweep = Self.host(total: 24 * Self.gib, available: 20 * Self.gib, at: Self.start, workloads: [
            Self.cgroup("s1", "/lab.slice/s1", usage: 400 * Self.mib),
            Self.cgroup("s2", "/lab.slice/s2", usage: 400 * Self.mib),
            Self.cgroup("other", "/system.slice/other", usage: 8 * Self.gib),
        ])
        sweep.capacity = Self.cgroup("capacity", "/lab.slice", usage: 1100 * Self.mib, limit: 1536 * Self.mib)
        advisor.record(sweep)
        let advice = try #require(advisor.recommendation())
        #expect(advice.scope == "/lab.slice" && advice.installedBytes == 1536 * Self.mib)
        #expect(advice.availableBytes == 436 * Self.mib)
        #expect(advice.workloads.map(\.workload).sorted() == ["s1", "s2"])
        // 1100 MiB in the slice: 800 in its servers, 300 its own. +15 % = 1265 MiB, so 1280 MiB (5 x 256 MiB).
        #expect(advice.minimumBytes == 1280 * Self.mib && advice.verdict == "enough")
        // Without the capacity cgroup in the sweep there is no scoped advice (rather than a wrong one).
        var blind = MinimumHostMemoryAdvisor(settings: .init(capacityCgroup: "/lab.slice"))
        blind.record(Self.host(total: 24 * Self.gib, available: 20 * Self.gib, at: Self.start))
        #expect(blind.recommendation() == nil)
    }

    // MARK: Knee

    static func verdict(_ findings: [Finding], end: Double) -> [GroupVerdict] {
        [GroupVerdict(group: "lab", startSeconds: end - 30, endSeconds: end, servers: [], imbalanceRatio: 1.1, fairnessIndex: 0.99,
                      coefficientOfVariation: nil, groupSlowdownRatio: 1, findings: findings)]
    }

    static func finding(cause: String?) -> Finding {
        Finding(server: "s2", group: "lab", kind: .imbalance, ratio: 2, sinceSeconds: 0,
                causes: cause.map { [Cause(signal: $0, scope: .workload, subject: "s2", beforeValue: 0, duringValue: 1,
                                           correlation: nil, score: 1, summary: "")] } ?? [])
    }

    @Test func theKneeComesFromMemoryCausedFindingsOnly() throws {
        var advisor = MinimumHostMemoryAdvisor()
        var at = Self.start
        func window(available: UInt64, _ findings: [Finding]) {
            advisor.record(Self.host(total: 16 * Self.gib, available: available, at: at))
            at += 30
            advisor.record(Self.host(total: 16 * Self.gib, available: available, at: at))
            advisor.recordWindow(Self.verdict(findings, end: at), endSeconds: at)
        }
        window(available: 12 * Self.gib, [])
        window(available: 10 * Self.gib, [])
        // A finding without a cause, or with no memory signal on top, says nothing about memory.
        window(available: 9 * Self.gib, [Self.finding(cause: nil)])
        window(available: 9 * Self.gib, [Self.finding(cause: "cpu_throttling")])
        var advice = try #require(advisor.recommendation())
        #expect(advice.knee.safe?.availableBytes == 10 * Self.gib && advice.knee.unsafe == nil)
        // A swap-caused imbalance with 9 GiB still available: the recommendation must keep more than 9 GiB free.
        window(available: 9 * Self.gib, [Self.finding(cause: "workload_swap")])
        advice = try #require(advisor.recommendation())
        #expect(advice.knee.unsafe?.availableBytes == 9 * Self.gib)
        let floor = try #require(advice.knee.floorBytes)
        #expect(floor == advice.demandBytes + 9 * Self.gib + 1)
        #expect(advice.minimumBytes >= floor && advice.minimumBytes - advice.demandBytes > 9 * Self.gib)
        #expect(advice.reasons.contains { $0.hasPrefix("Knee: latency broke with 9.0 GiB available") }, "\(advice.reasons)")
    }

    @Test func aFindingThatOpensAfterThePressureIsChargedToThePressure() throws {
        var advisor = MinimumHostMemoryAdvisor()
        var at = Self.start
        // Two minutes squeezed to 200 MiB available, then memory returns; the slowdown opens while pages fault back.
        for available: UInt64 in [4 * Self.gib, 200 * Self.mib, 200 * Self.mib, 6 * Self.gib, 6 * Self.gib] {
            advisor.record(Self.host(total: 8 * Self.gib, available: available, at: at))
            at += 60
            advisor.record(Self.host(total: 8 * Self.gib, available: available, at: at))
            advisor.recordWindow(Self.verdict(available == 6 * Self.gib ? [Self.finding(cause: "workload_major_faults")] : [], end: at),
                                 endSeconds: at)
        }
        let advice = try #require(advisor.recommendation())
        #expect(advice.knee.unsafe?.availableBytes == 200 * Self.mib, "\(String(describing: advice.knee.unsafe))")
        // Eleven minutes later the squeeze is out of the lookback: a new finding is charged to what it saw.
        at += 660
        advisor.record(Self.host(total: 8 * Self.gib, available: 5 * Self.gib, at: at))
        at += 60
        advisor.record(Self.host(total: 8 * Self.gib, available: 5 * Self.gib, at: at))
        advisor.recordWindow(Self.verdict([Self.finding(cause: "workload_swap")], end: at), endSeconds: at)
        #expect(try #require(advisor.recommendation()).knee.unsafe?.availableBytes == 5 * Self.gib,
                "the knee keeps the most available memory of the memory-caused findings: the later one")
    }

    @Test func aCalibrationsKneeJoinsTheAdvice() throws {
        var advisor = MinimumHostMemoryAdvisor()
        advisor.record(Self.host(total: 8 * Self.gib, available: 6 * Self.gib, at: Self.start))
        let before = try #require(advisor.recommendation())
        let steps = (0...3).map { index in
            CalibrationResult.Step(index: index, allocatedBytes: UInt64(index) * 256 * Self.mib, startSeconds: Self.start + Double(index) * 60,
                                   endSeconds: Self.start + Double(index + 1) * 60, availableBytes: 6 * Self.gib - UInt64(index) * Self.gib,
                                   swapInBytesPerSecond: 0, psiMemorySomeRatio: 0, groups: [], findingOpened: index == 3)
        }
        let result = CalibrationResult(startedAtSeconds: Self.start, endedAtSeconds: Self.start + 240, capacityBytes: 8 * Self.gib,
                                       capacityCgroup: nil, stepBytes: 256 * Self.mib, steps: steps, stopReason: "finding")
        #expect(result.knee.unsafe?.availableBytes == 3 * Self.gib && result.knee.safe?.availableBytes == 4 * Self.gib)
        advisor.recordCalibration(result)
        advisor.record(Self.host(total: 8 * Self.gib, available: 6 * Self.gib, at: Self.start + 300))
        let after = try #require(advisor.recommendation())
        #expect(after.minimumBytes > before.minimumBytes, "the knee moves the recommendation")
        #expect(after.minimumBytes - after.demandBytes > 3 * Self.gib)
        #expect(after.knee.unsafe?.source == "calibration" && after.calibratedAtSeconds == Self.start + 240)
    }

    // MARK: Confidence and decay

    @Test func littleHistorySaysSoAndMoreHistoryNarrowsTheRange() throws {
        var advisor = MinimumHostMemoryAdvisor()
        var widths: [Double: Double] = [:]
        var at = Self.start
        for hours: Double in [0.5, 2, 24, 7 * 24] {
            while at < Self.start + hours * 3600 {
                advisor.record(Self.host(total: 16 * Self.gib, available: 10 * Self.gib, at: at))
                at += 60
            }
            let advice = try #require(advisor.recommendation())
            #expect(advice.confidence.enough == (hours >= 1), "\(hours) h")
            #expect(advice.reasons.contains { $0.hasPrefix("Not enough history") } == (hours < 1))
            #expect(advice.confidence.lowerBytes <= advice.minimumBytes && advice.minimumBytes <= advice.confidence.upperBytes)
            widths[hours] = Double(advice.confidence.upperBytes - advice.confidence.lowerBytes)
        }
        #expect(widths[0.5]! > widths[2]! && widths[2]! > widths[24]! && widths[24]! > widths[7 * 24]!, "\(widths)")
    }

    @Test func anOldSpikeFadesWithTheHalfLife() throws {
        var advisor = MinimumHostMemoryAdvisor()
        // Day 0 needs 12 GiB, the next nine days 4 GiB: after nine half-lives the spike no longer sets the P90.
        for day in 0..<10 {
            for hour in 0..<24 {
                let used: UInt64 = day == 0 ? 12 * Self.gib : 4 * Self.gib
                let at = Self.start + Double(day * 86_400 + hour * 3600)
                advisor.record(Self.host(total: 16 * Self.gib, available: 16 * Self.gib - used, at: at))
            }
        }
        let advice = try #require(advisor.recommendation())
        #expect(advice.minimumBytes == 5 * Self.gib, "\(advice.reasons)")
        // One peak per day and workload: the state stays small.
        #expect(try #require(advisor.state.remainder).histogram.weights.count <= 3)
    }

    @Test func histogramPercentilesAnswerWithTheSamplesTheyStandFor() {
        var histogram = DecayingHistogram(halfLifeSeconds: 86_400, referenceSeconds: 0)
        for value in 1...10 { histogram.add(Double(UInt64(value) * Self.gib), atSeconds: 0) }
        let p50 = histogram.percentile(0.5)!, p90 = histogram.percentile(0.9)!, p100 = histogram.percentile(1)!
        // The answer is the largest sample of the bucket reached: exact here, one sample per bucket.
        #expect(p50 == 5 * Double(Self.gib) && p90 == 9 * Double(Self.gib) && p100 == 10 * Double(Self.gib))
        // A weight growing past 2^64 is rebased without changing the answer.
        histogram.add(Double(Self.gib), atSeconds: 86_400 * 70)
        #expect(histogram.percentile(0.5)! <= Double(Self.gib) * 1.05)
    }

    @Test func aCalibrationPlanStopsAtTheReserveOrTheCeiling() {
        let plan = CalibrationPlan(stepBytes: 256 * Self.mib, ceilingBytes: nil, reserveBytes: 256 * Self.mib, windowsPerStep: 3,
                                   timeLimitSeconds: 600, capacityBytes: 1536 * Self.mib, availableBytes: 1024 * Self.mib,
                                   swapFreeBytes: 512 * Self.mib, capacityCgroup: "/lab", allocatorCgroup: "/x")
        // 1.5 GiB of room less the 256 MiB reserve: five steps of 256 MiB after the calm one.
        #expect(plan.steps == [0, 256, 512, 768, 1024, 1280].map { $0 * Self.mib } && plan.limitedBy == "reserve")
        #expect(plan.fitsReserve(availableBytes: 512 * Self.mib, swapFreeBytes: 0) && !plan.fitsReserve(availableBytes: 511 * Self.mib, swapFreeBytes: 0))
        let capped = CalibrationPlan(stepBytes: 256 * Self.mib, ceilingBytes: 600 * Self.mib, reserveBytes: 0, windowsPerStep: 3,
                                     timeLimitSeconds: 600, capacityBytes: 8 * Self.gib, availableBytes: 6 * Self.gib,
                                     swapFreeBytes: 0, capacityCgroup: nil, allocatorCgroup: "/x")
        #expect(capped.steps == [0, 256 * Self.mib, 512 * Self.mib] && capped.limitedBy == "ceiling")
    }

    @Test func demandAddsUsedSwappedAndBallooned() throws {
        let host = HostSample(meminfoBytes: ["MemTotal": 8 * Self.gib, "MemAvailable": 512 * Self.mib, "SwapTotal": 2 * Self.gib,
                                             "SwapFree": Self.gib, "SwapCached": 200 * Self.mib])
        var vms = (1...4).map { VMSample(name: "vm\($0)", source: .qmp, up: true, configuredBytes: Self.gib, balloonActualBytes: 768 * Self.mib) }
        vms.append(VMSample(name: "vm1", source: .libvirt, up: true, configuredBytes: Self.gib, balloonActualBytes: 768 * Self.mib))
        vms.append(VMSample(name: "vm5", source: .qmp, up: false, configuredBytes: Self.gib, balloonActualBytes: 0))
        let demand = try #require(HostMemoryDemand(host: host, vms: vms))
        #expect(demand.usedBytes == 8 * Self.gib - 512 * Self.mib)
        #expect(demand.swappedBytes == Self.gib - 200 * Self.mib)
        #expect(demand.balloonedBytes == 4 * 256 * Self.mib)
    }
}
