import Testing

@testable import Detectors

/// A wall clock stepped back an hour or forward a day while sweeps go on: steps are told from slewing, intervals and
/// rates keep to the boot clock, and nothing that keeps time (windows, alerts, the advice, the latency log) stalls,
/// fires early or counts a sample twice.
struct ClockStepTests {
    static let epoch = 1_767_225_600.0
    static let hour = 3600.0
    static let day = 86_400.0

    @Test(arguments: [
        // (wall interval, boot interval, expected step)
        (10.0, 10.0, nil), (10.9, 10.0, nil), (9.1, 10.0, nil),  // jitter and slewing within the tolerance
        (3600 + 3.0, 3600.0, nil),  // 500 ppm of slewing over an hour is not a step
        (10.0 - 3600, 10.0, -3600.0), (10.0 + 86_400, 10.0, 86_400.0), (12.5, 10.0, 2.5),
    ] as [(Double, Double, Double?)])
    func stepsAreToldFromSlewingAndJitter(_ wall: Double, _ boot: Double, _ expected: Double?) {
        let step = ClockStep.between(wallSeconds: Self.epoch, uptimeSeconds: 500, andWallSeconds: Self.epoch + wall,
                                     uptimeSeconds: 500 + boot)
        #expect(step.map { ($0.seconds * 1000).rounded() / 1000 } == expected)
        if let expected { #expect(step?.direction == (expected < 0 ? .backward : .forward)) }
    }

    @Test func aRebootOrAMissingBootClockIsNoStep() {
        // The boot clock went back: another boot, nothing to compare with.
        #expect(ClockStep.between(wallSeconds: Self.epoch, uptimeSeconds: 5000, andWallSeconds: Self.epoch + 60, uptimeSeconds: 30) == nil)
        #expect(ClockStep.between(Sweep(atSeconds: Self.epoch), Sweep(atSeconds: Self.epoch - Self.hour, uptimeSeconds: 10)) == nil)
    }

    @Test func intervalsComeFromTheBootClockWithinOneBootAndFromTheWallClockOtherwise() {
        let before = Sweep(atSeconds: Self.epoch, uptimeSeconds: 100)
        #expect(Sweep(atSeconds: Self.epoch + Self.day + 5, uptimeSeconds: 105).elapsedSeconds(since: before) == 5)
        #expect(Sweep(atSeconds: Self.epoch - Self.hour + 5, uptimeSeconds: 105).elapsedSeconds(since: before) == 5)
        // Rebooted (the boot clock started again) or an older record: the wall clock is all there is.
        #expect(Sweep(atSeconds: Self.epoch + 300, uptimeSeconds: 20).elapsedSeconds(since: before) == 300)
        #expect(Sweep(atSeconds: Self.epoch + 300).elapsedSeconds(since: before) == 300)
    }

    static func sweep(wall: Double, boot: Double, pswpin: UInt64) -> Sweep {
        Sweep(atSeconds: wall, uptimeSeconds: boot,
              host: HostSample(meminfoBytes: ["MemTotal": 8 << 30, "MemAvailable": 4 << 30], vmstat: ["pswpin": pswpin, "pswpout": 0]))
    }

    @Test func ratesAcrossAStepForwardAreOverTheTimeThatPassed() throws {
        let builder = WindowBuilder(group: "g", servers: ["a"], workloadOfServer: [:], pageSizeBytes: 4096)
        // 10 s passed, 2560 pages swapped in; the wall clock says a day and 10 s.
        let window = builder.window(startSeconds: Self.epoch, endSeconds: Self.epoch + Self.day + 10, samples: [],
                                    previous: Self.sweep(wall: Self.epoch, boot: 100, pswpin: 0),
                                    current: Self.sweep(wall: Self.epoch + Self.day + 10, boot: 110, pswpin: 2560))
        let rate = try #require(window.host.swapInBytesPerSecond)
        #expect(abs(rate - 2560 * 4096 / 10) < 1e-6, "\(rate - 2560 * 4096 / 10)")
    }

    @Test func windowsKeepTheirLengthThroughAStepForwardAndRestartAfterAStepBack() {
        var detection = SweepDetection(groups: [.init(name: "g", servers: ["a"], workloadOfServer: [:])], windowSeconds: 10, pageSizeBytes: 4096)
        let empty: (String, Double, Double) -> [LatencySample] = { _, _, _ in [] }
        var steps: [SweepDetection.Step] = []
        // One sweep a second; the wall clock jumps a day forward at second 5, then an hour back at second 25.
        for second in 0...40 {
            let offset = second < 5 ? 0 : second < 25 ? Self.day : Self.day - Self.hour
            let sweep = Self.sweep(wall: Self.epoch + Double(second) + offset, boot: 1000 + Double(second), pswpin: UInt64(second) * 100)
            if let step = detection.ingest(sweep, samples: empty) { steps.append(step) }
        }
        // Windows close every 10 s of boot clock: at 10 and 20 (the first across the step forward, not cut short by
        // it), then the step back starts a new one at 25 that closes at 35.
        #expect(steps.map { $0.endSeconds - Self.epoch } == [10 + Self.day, 20 + Self.day, 35 + Self.day - Self.hour],
                "\(steps.map { ($0.startSeconds - Self.epoch, $0.endSeconds - Self.epoch) })")
    }

    @Test func alertTimersKeepTheirLengthThroughSteps() {
        let rule = AlertRule(name: "Swap", condition: .hostSwapIn, threshold: 1, forSeconds: 120, keepFiringForSeconds: 60,
                             severity: "warning", summary: "swap")
        let holds = [AlertCandidate(rule: "Swap", labels: [:], value: 2, evidence: [:])]
        var lifecycle = AlertLifecycle()
        #expect(lifecycle.evaluate(nowSeconds: Self.epoch, rules: [rule], candidates: holds).map(\.to) == [.pending])
        // A day forward, 60 s later: still pending (60 of its 120 s), not fired by the step.
        lifecycle.shiftTimes(bySeconds: Self.day)
        #expect(lifecycle.evaluate(nowSeconds: Self.epoch + Self.day + 60, rules: [rule], candidates: holds).isEmpty)
        #expect(lifecycle.evaluate(nowSeconds: Self.epoch + Self.day + 120, rules: [rule], candidates: holds).map(\.to) == [.firing])
        // An hour back, then the condition clears: keep_firing_for ends 60 s later on the new clock, not an hour on.
        lifecycle.shiftTimes(bySeconds: -Self.hour)
        let now = Self.epoch + Self.day - Self.hour + 130
        #expect(lifecycle.evaluate(nowSeconds: now, rules: [rule], candidates: []).isEmpty)
        #expect(lifecycle.evaluate(nowSeconds: now + 60, rules: [rule], candidates: []).map(\.to) == [.resolved])
        #expect(lifecycle.active.isEmpty && lifecycle.resolved.first?.activeSinceSeconds == Self.epoch + Self.day - Self.hour)
    }

    @Test func theAdviceCarriesOnAfterAStepBackInsteadOfWaitingAnHour() throws {
        var advisor = MinimumHostMemoryAdvisor()
        for second in stride(from: 0.0, through: 120, by: 10) {
            advisor.record(Self.sweep(wall: Self.epoch + second, boot: 1000 + second, pswpin: 0))
        }
        let observed = advisor.state.observedSeconds
        #expect(observed == 120)
        // An hour back: the next sweeps are taken (observed time grows by the boot clock), not ignored.
        for second in stride(from: 130.0, through: 200, by: 10) {
            advisor.record(Self.sweep(wall: Self.epoch - Self.hour + second, boot: 1000 + second, pswpin: 0))
        }
        #expect(advisor.state.observedSeconds == 200)
        #expect(advisor.state.latestAtSeconds == Self.epoch - Self.hour + 200)
        #expect(advisor.state.recentAvailable.last.map { $0.index == Int64(((Self.epoch - Self.hour + 200) / 60).rounded(.down)) } == true)
        // The same sweep twice (start-up hands the first one over twice) still counts once.
        advisor.record(Self.sweep(wall: Self.epoch - Self.hour + 200, boot: 1200, pswpin: 0))
        #expect(advisor.state.observedSeconds == 200)
        // A step forward: the gap the boot clock measured counts, not a day.
        advisor.record(Self.sweep(wall: Self.epoch + Self.day, boot: 1210, pswpin: 0))
        #expect(advisor.state.observedSeconds == 210)
    }

    @Test func theLatencyLogStartsOverWhenTheClockStepsBackAndClampsJitter() {
        var log = LatencyLog()
        func sample(_ server: String) -> LatencySample {
            LatencySample(group: "g", server: server, source: .push, seconds: 1, atSeconds: 0)
        }
        for t in [0.0, 1, 2] {
            var s = sample("a")
            s.recordedAtSeconds = log.stamp(nowSeconds: Self.epoch + t)
            log.append(s)
        }
        // 0.4 s back is jitter: clamped to the last stamp.
        #expect(log.stamp(nowSeconds: Self.epoch + 1.6) == Self.epoch + 2)
        // An hour back: stamped with the new time, and the samples from "later" leave the log, so the windows of
        // the repeated hour neither miss the new samples nor count the old ones again.
        let stepped = log.stamp(nowSeconds: Self.epoch - Self.hour + 3)
        #expect(stepped == Self.epoch - Self.hour + 3)
        var late = sample("b")
        late.recordedAtSeconds = stepped
        log.append(late)
        #expect(log.all.map(\.server) == ["b"])
        #expect(log.samples(group: "g", from: Self.epoch - Self.hour, to: Self.epoch - Self.hour + 10).map(\.server) == ["b"])
    }

    // MARK: Steps forward

    /// A host of 16 GiB running one workload, `web`, beside 2 GiB of its own.
    static func demandSweep(wall: Double, boot: Double, webBytes: UInt64, pswpin: UInt64 = 0) -> Sweep {
        let used = webBytes + (2 << 30)
        return Sweep(atSeconds: wall, uptimeSeconds: boot,
                     host: HostSample(meminfoBytes: ["MemTotal": 16 << 30, "MemAvailable": (16 << 30) - used, "SwapTotal": 4 << 30,
                                                     "SwapFree": 3 << 30, "SwapCached": 0], vmstat: ["pswpin": pswpin]),
                     workloads: [WorkloadSample(name: "web", kind: .container, cgroup: "/system.slice/web", cgroupVersion: 2,
                                                usageBytes: webBytes, limitBytes: nil, swapBytes: 0,
                                                stat: [.inactiveFile: 0, .workingsetRefaultAnon: 0])])
    }

    @Test func theAdviceKeepsWhatItLearntThroughAStepForward() throws {
        // `web` peaks at 8 GiB on the first day and needs 2 GiB after. Three days forward midway on the second day
        // (a multiple of the peak interval, so both advisors' intervals line up): counted as time passed, the step
        // would decay the first day's peak to an eighth and size `web` at 2 GiB; none of it passed, so the advice is
        // that of the same sweeps without the step.
        var plain = MinimumHostMemoryAdvisor(), stepped = MinimumHostMemoryAdvisor()
        for k in 0..<200 {
            let second = Double(k) * 600, web: UInt64 = k < 144 ? 8 << 30 : 2 << 30
            plain.record(Self.demandSweep(wall: Self.epoch + second, boot: 1000 + second, webBytes: web))
            stepped.record(Self.demandSweep(wall: Self.epoch + second + (k >= 150 ? 3 * Self.day : 0), boot: 1000 + second, webBytes: web))
        }
        let expected = try #require(plain.recommendation()), advice = try #require(stepped.recommendation())
        #expect(expected.workloads.map(\.estimateBytes) == [8 << 30])
        #expect(advice.workloads.map(\.estimateBytes) == expected.workloads.map(\.estimateBytes))
        #expect(advice.minimumBytes == expected.minimumBytes && advice.demandBytes == expected.demandBytes)
        #expect(stepped.state.observedSeconds == plain.state.observedSeconds)

        // Swap read back and the knee's lookback keep their minutes through a day's step, 150 s into five minutes.
        var near = MinimumHostMemoryAdvisor(), across = MinimumHostMemoryAdvisor()
        for k in 0...30 {
            let second = Double(k) * 10
            near.record(Self.demandSweep(wall: Self.epoch + second, boot: 1000 + second, webBytes: 4 << 30, pswpin: UInt64(k) * 100))
            across.record(Self.demandSweep(wall: Self.epoch + second + (k >= 15 ? Self.day : 0), boot: 1000 + second,
                                           webBytes: 4 << 30, pswpin: UInt64(k) * 100))
        }
        #expect(near.state.readBack.totalBytes == 3000 * 4096)
        #expect(across.state.readBack.totalBytes == near.state.readBack.totalBytes)
        #expect(across.state.workloads["web"]?.lastSeenSeconds == Self.epoch + 300 + Self.day)
        #expect(across.state.recentAvailable.count == near.state.recentAvailable.count, "\(across.state.recentAvailable)")
    }

    @Test func agesCountTheTimeThatPassedAcrossStepsForward() {
        // A day forward (the clock read 1000 just after it), an hour forward at 90,000, and a step back, which
        // needs no allowance.
        var steps = ForwardClockSteps()
        steps.record(ClockStep(seconds: 3600), atSeconds: 90_000)
        steps.record(ClockStep(seconds: 86_400), atSeconds: 1000)
        steps.record(ClockStep(seconds: -50), atSeconds: 95_000)
        #expect(steps.steps.map(\.atSeconds) == [1000, 90_000])
        // Stamps after the latest step are as old as the wall clock says; earlier ones are younger by each step since.
        #expect(steps.cutoff(ageSeconds: 500, nowSeconds: 91_000) == 90_500)
        #expect(steps.cutoff(ageSeconds: 2000, nowSeconds: 91_000) == 89_000 - 3600)
        #expect(steps.cutoff(ageSeconds: 90_000, nowSeconds: 91_000) == 1000 - 3600 - 86_400)
        // Once the cutoff is past a step, nothing from before it is left: it is forgotten.
        steps.forget(before: 89_000 - 3600)
        #expect(steps.steps.map(\.atSeconds) == [90_000])
        // A step back to before a step forward leaves that one in a time line the clock has left.
        steps.forget(after: 89_000)
        #expect(steps.isEmpty)
    }

    static func stamped(_ log: inout LatencyLog, _ server: String, wall: Double, boot: Double) {
        var sample = LatencySample(group: "g", server: server, source: .push, seconds: 1, atSeconds: wall)
        sample.recordedAtSeconds = log.stamp(nowSeconds: wall, uptimeSeconds: boot)
        log.append(sample)
    }

    @Test func theLatencyLogDoesNotAgeSamplesByAStepForward() {
        var log = LatencyLog(retentionSeconds: 300)
        for t in [0.0, 1, 2] { Self.stamped(&log, "a", wall: Self.epoch + t, boot: 100 + t) }
        // A day forward, a second later: five minutes' retention by the wall clock would drop every earlier sample.
        Self.stamped(&log, "b", wall: Self.epoch + Self.day + 3, boot: 103)
        #expect(log.all.map(\.server) == ["a", "a", "a", "b"])
        #expect(log.forwardSteps.steps.count == 1)
        // Once they really are five minutes old (by the boot clock) they go, and the step is forgotten with them.
        Self.stamped(&log, "c", wall: Self.epoch + Self.day + 303, boot: 403)
        #expect(log.all.map(\.server) == ["b", "c"])
        #expect(log.forwardSteps.isEmpty)
        // Without the boot clock a long pause is no step: retention keeps to the wall clock.
        var wallOnly = LatencyLog(retentionSeconds: 300)
        for t in [0.0, 1, 2, 1000] {
            var sample = LatencySample(group: "g", server: "a", source: .push, seconds: 1, atSeconds: 0)
            sample.recordedAtSeconds = wallOnly.stamp(nowSeconds: Self.epoch + t)
            wallOnly.append(sample)
        }
        #expect(wallOnly.count == 1)
    }

    @Test func aWindowOpenAcrossAStepForwardKeepsTheSamplesFromBeforeIt() throws {
        // Windows of 10 s, a sample and a sweep each second, the wall clock a day forward at second 5; the log keeps
        // 30 s, as the daemon's keeps a few windows.
        var detection = SweepDetection(groups: [.init(name: "g", servers: ["a"], workloadOfServer: [:])], windowSeconds: 10, pageSizeBytes: 4096)
        var log = LatencyLog(retentionSeconds: 30)
        var steps: [SweepDetection.Step] = []
        for second in 0...10 {
            let wall = Self.epoch + Double(second) + (second < 5 ? 0 : Self.day), boot = 1000 + Double(second)
            Self.stamped(&log, "a", wall: wall, boot: boot)
            if let step = detection.ingest(Self.sweep(wall: wall, boot: boot, pswpin: 0), samples: { log.window(group: $0, from: $1, to: $2) }) {
                steps.append(step)
            }
        }
        // The window from second 0 to 10 holds the ten samples of those ten seconds, five of them from before the step.
        let window = try #require(steps.first)
        #expect(steps.count == 1 && window.endSeconds == Self.epoch + 10 + Self.day)
        #expect(window.verdicts.first?.servers.first?.statistics.count == 10, "\(window.verdicts)")
    }
}
