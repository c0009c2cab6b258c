import Foundation
import TestKit
import Testing
@testable import Detectors

/// Generated traces with a known truth, after the study: 4 identical servers, one request each per round.
struct GroupDetectorScenarioTests {
    static let onset = 30
    static let recovery = 60
    static let memoryCauses: Set<String> = [
        CauseSignal.workloadSwap.rawValue, CauseSignal.workloadPSIMemory.rawValue,
        CauseSignal.workloadMajorFaults.rawValue, CauseSignal.workloadRefaults.rawValue,
    ]

    /// Scenario (a) then (d): `s2`'s workload swaps from window 30 to 59 and its latency grows by `factor`; the
    /// host's swap counters see that traffic too.
    static func swappingServerTrace(seed: UInt64, factor: Double, windows: Int = 100) -> [GroupWindow] {
        var trace = TestTrace(seed: seed)
        return (0..<windows).map { index in
            var servers = TestTrace.servers()
            let swapping = index >= onset && index < recovery
            for i in servers.indices { servers[i].signals = trace.calmSignals() }
            var host = trace.calmHost()
            if swapping {
                servers[2].medianSeconds *= factor
                servers[2].signals = trace.swappingSignals()
                host.swapInBytesPerSecond = servers[2].signals.swapInBytesPerSecond
                host.swapOutBytesPerSecond = servers[2].signals.swapOutBytesPerSecond
                host.psiMemorySomeRatio = trace.rng.uniform(0.03...0.06)
            }
            return trace.window(index, servers: servers, host: host)
        }
    }

    @Test(arguments: [1.5, 1.8])
    func swappingServerIsFlaggedQuicklyWithSwapFirstAndResolves(factor: Double) {
        var delays: [Int] = [], resolutions: [Int] = []
        for seed in UInt64(1)...20 {
            var detector = GroupDetector(group: "web")
            var flaggedAt: Int?, resolvedAt: Int?
            for (index, window) in Self.swappingServerTrace(seed: seed, factor: factor).enumerated() {
                let verdict = detector.ingest(window)
                let imbalance = verdict.findings.first { $0.kind == .imbalance && $0.server == "s2" }
                // Nothing but s2's imbalance may ever be reported.
                let others = verdict.findings.filter { !($0.kind == .imbalance && $0.server == "s2") }
                #expect(others.isEmpty, "seed \(seed) window \(index): \(others.map { "\($0.kind) \($0.server ?? "*")" })")
                if index < Self.onset { #expect(imbalance == nil, "seed \(seed) window \(index)") }
                if let imbalance, flaggedAt == nil {
                    flaggedAt = index
                    #expect(imbalance.sinceSeconds >= TestTrace.start(of: Self.onset), "seed \(seed)")
                    let top = imbalance.causes.first
                    #expect(top.map { Self.memoryCauses.contains($0.signal) && $0.subject == "w2" } == true,
                            "seed \(seed): causes \(imbalance.causes.map(\.signal))")
                    let hostRank = imbalance.causes.firstIndex { $0.scope == .host } ?? .max
                    let ownRank = imbalance.causes.firstIndex { $0.signal == CauseSignal.workloadSwap.rawValue } ?? .max
                    #expect(ownRank < hostRank, "seed \(seed): host-wide swap outranks w2's own swap")
                }
                if flaggedAt != nil, index >= Self.recovery, imbalance == nil, resolvedAt == nil { resolvedAt = index }
                if let resolvedAt, index > resolvedAt { #expect(imbalance == nil, "seed \(seed) reopened at \(index)") }
            }
            guard let flaggedAt else {
                Issue.record("seed \(seed): never flagged")
                continue
            }
            delays.append(flaggedAt - Self.onset)
            // 2 is the earliest possible with 3-of-5 debouncing (the third slow window).
            #expect(flaggedAt - Self.onset <= 3, "seed \(seed): flagged \(flaggedAt - Self.onset) windows after onset")
            // Resolved after five windows that are not slow: at recovery + 4, later when a chance window after the
            // recovery is slow at the 5 % level (`slowWindowAlpha`) and restarts the count.
            #expect(resolvedAt != nil && resolvedAt! - Self.recovery <= 9, "seed \(seed): resolved at \(String(describing: resolvedAt))")
            if let resolvedAt { resolutions.append(resolvedAt - Self.recovery) }
        }
        print("scenario a factor \(factor): detection delay in windows after the onset window, per seed: \(delays); "
              + "resolution after the recovery window: \(resolutions)")
        #expect(resolutions.sorted()[resolutions.count / 2] <= 4, "median resolution: \(resolutions)")
    }

    @Test func equalNoisyServersGiveNoFindingIn10000Windows() {
        var trace = TestTrace(seed: 2024)
        var detector = GroupDetector(group: "web")
        var falseWindows = 0, episodes = 0, significantServerWindows = 0
        var previous: Set<String> = []
        for index in 0..<10_000 {
            let verdict = detector.ingest(trace.calmWindow(index))
            significantServerWindows += verdict.servers.count(where: \.significantlySlower)
            let current = Set(verdict.findings.map { "\($0.kind)|\($0.server ?? "*")" })
            episodes += current.subtracting(previous).count
            previous = current
            if !current.isEmpty { falseWindows += 1 }
        }
        print("scenario b: false findings \(episodes), windows with a finding \(falseWindows), "
              + "server-windows significantly slower \(significantServerWindows) of 40000 (seed 2024)")
        #expect(episodes == 0, "seed 2024: \(episodes) false findings")
    }

    @Test func hostWidePressureIsASlowdownNotAnImbalance() {
        for seed in UInt64(1)...10 {
            var trace = TestTrace(seed: seed)
            var detector = GroupDetector(group: "web")
            var slowdownAt: Int?
            for index in 0..<80 {
                var servers = TestTrace.servers()
                let pressure = index >= Self.onset
                var host = trace.calmHost()
                for i in servers.indices {
                    servers[i].signals = trace.calmSignals()
                    if pressure {
                        servers[i].medianSeconds *= 1.5
                        servers[i].signals.psiMemorySomeRatio = trace.rng.uniform(0.08...0.12)
                        servers[i].signals.swapInBytesPerSecond = trace.rng.uniform(0.8...1.2) * 1_048_576
                    }
                }
                if pressure {
                    host.swapInBytesPerSecond = trace.rng.uniform(15...25) * 1_048_576
                    host.swapOutBytesPerSecond = trace.rng.uniform(5...10) * 1_048_576
                    host.psiMemorySomeRatio = trace.rng.uniform(0.25...0.35)
                }
                let verdict = detector.ingest(trace.window(index, servers: servers, host: host))
                #expect(!verdict.findings.contains { $0.kind == .imbalance }, "seed \(seed) window \(index)")
                if let slowdown = verdict.findings.first(where: { $0.kind == .slowdown }), slowdownAt == nil {
                    slowdownAt = index
                    #expect(slowdown.server == nil, "seed \(seed): expected a group-wide slowdown")
                    #expect(slowdown.ratio > 1.3 && slowdown.ratio < 1.7, "seed \(seed): ratio \(slowdown.ratio)")
                    let top = slowdown.causes.first?.signal
                    #expect(top == CauseSignal.hostSwap.rawValue || top == CauseSignal.hostPSIMemory.rawValue,
                            "seed \(seed): causes \(slowdown.causes.map(\.signal))")
                }
            }
            #expect(slowdownAt.map { $0 - Self.onset <= 2 } == true, "seed \(seed): slowdown at \(String(describing: slowdownAt))")
        }
    }

    @Test func serverWithOnlyFailuresIsTheWorst() {
        var trace = TestTrace(seed: 5)
        var detector = GroupDetector(group: "web")
        for index in 0..<10 {
            var servers = TestTrace.servers()
            servers[3].samples = 0
            servers[3].failures = 4
            let verdict = detector.ingest(trace.window(index, servers: servers, host: trace.calmHost()))
            let s3 = verdict.servers[3]
            #expect(s3.active && s3.significantlySlower && s3.statistics.median == .infinity, "seed 5 window \(index)")
            #expect(verdict.imbalanceRatio == .infinity && verdict.fairnessIndex == 0.25)
            let finding = verdict.findings.first { $0.server == "s3" && $0.kind == .imbalance }
            #expect((finding != nil) == (index >= 2), "seed 5 window \(index)")
            if let finding { #expect(finding.ratio == .infinity) }
            #expect(!verdict.findings.contains { $0.server != "s3" }, "seed 5 window \(index)")
        }
    }

    @Test func idleServersAreIgnored() {
        var trace = TestTrace(seed: 6)
        var detector = GroupDetector(group: "web")
        for index in 0..<40 {
            var servers = TestTrace.servers()
            servers[3].samples = 2
            servers[3].medianSeconds = 10  // ten times slower, but on two requests: ignored
            let verdict = detector.ingest(trace.calmWindow(index, servers: servers))
            let s3 = verdict.servers[3]
            #expect(!s3.active && !s3.significantlySlower && s3.pValue == nil, "seed 6 window \(index)")
            #expect(verdict.findings.isEmpty, "seed 6 window \(index)")
            #expect((verdict.imbalanceRatio ?? 9) < 2, "seed 6 window \(index): idle server counted")
        }
    }

    @Test func detectorStateRoundTripsThroughJSON() throws {
        let windows = Self.swappingServerTrace(seed: 3, factor: 1.6)
        var detector = GroupDetector(group: "web")
        for window in windows.prefix(Self.onset + 4) { _ = detector.ingest(window) }
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        var restored = try decoder.decode(GroupDetector.self, from: encoder.encode(detector))
        #expect(restored == detector)
        for window in windows.dropFirst(Self.onset + 4) { #expect(restored.ingest(window) == detector.ingest(window)) }
    }

    @Test func persistedBaselinesGiveSlowdownRatiosAtOnce() {
        var trace = TestTrace(seed: 8)
        var first = GroupDetector(group: "web")
        for index in 0..<20 { _ = first.ingest(trace.calmWindow(index)) }
        var second = GroupDetector(group: "web", baselines: first.baselines)
        let verdict = second.ingest(trace.calmWindow(20))
        #expect(verdict.servers.allSatisfy { $0.slowdownRatio.map { $0 > 0.7 && $0 < 1.4 } == true }, "seed 8")
    }
}
