import TestKit
import Testing
@testable import Detectors

/// Properties of ``GroupDetector`` over generated groups (NIO-style oracle arguments, seeded and replayable).
struct GroupDetectorPropertyTests {
    /// A generated group: 2 to 6 servers, sometimes idle ones, failures, one server that may turn slow while its
    /// workload swaps, host pressure now and then, and a neighbour whose memory may grow.
    struct Generated {
        var windows: [GroupWindow]
        var slowServer: String?
        var onset: Int
    }

    static func generate(seed: UInt64, windows count: Int = 24, identical: Bool = false) -> Generated {
        var trace = TestTrace(seed: seed)
        let n = 2 + Int(trace.rng.next() % 5)
        let median = trace.rng.uniform(0.01...2), sigma = trace.rng.uniform(0.1...0.5)
        var servers = TestTrace.servers(n)
        for i in servers.indices {
            servers[i].medianSeconds = median
            servers[i].sigma = sigma
        }
        let samples = (0..<n).map { _ in 5 + Int(trace.rng.next() % 26) }
        let idleServer = !identical && trace.rng.next() % 4 == 0 ? Int(trace.rng.next() % UInt64(n)) : nil
        let failing = !identical && trace.rng.next() % 5 == 0
        let slow = !identical && trace.rng.next() % 2 == 0 ? Int(trace.rng.next() % UInt64(n)) : nil
        let factor = trace.rng.uniform(1.3...2.5)
        let onset = 5 + Int(trace.rng.next() % 10)
        let pressureFrom = trace.rng.next() % 3 == 0 ? Int(trace.rng.next() % UInt64(count)) : count
        let neighbourGrowsFrom = Int(trace.rng.next() % UInt64(count))

        var windows: [GroupWindow] = []
        for index in 0..<count {
            var current = servers
            let shared = index >= pressureFrom ? trace.swappingSignals() : trace.calmSignals()
            for i in current.indices {
                current[i].samples = identical ? samples[0] : samples[i]
                current[i].signals = identical ? shared : (index >= pressureFrom ? shared : trace.calmSignals())
                if i == idleServer { current[i].samples = Int(trace.rng.next() % 4) }
                if failing && i == 0 { current[i].failures = Int(trace.rng.next() % 3) }
                if i == slow && index >= onset {
                    current[i].medianSeconds *= factor
                    current[i].signals = trace.swappingSignals()
                }
            }
            let host = index >= pressureFrom || (slow != nil && index >= onset)
                ? HostSignals(swapInBytesPerSecond: 4e6, swapOutBytesPerSecond: 2e6, psiMemorySomeRatio: 0.1)
                : trace.calmHost()
            let neighbour = WorkloadSignals(
                memoryUsageBytes: (index >= neighbourGrowsFrom ? 3e9 : 1e9) * trace.rng.uniform(0.99...1.01))
            windows.append(trace.window(index, servers: current, host: host, neighbours: ["db": neighbour]))
        }
        return Generated(windows: windows, slowServer: slow.map { "s\($0)" }, onset: onset)
    }

    static func run(_ windows: [GroupWindow], configuration: GroupDetector.Configuration = .init()) -> [GroupVerdict] {
        var detector = GroupDetector(group: "web", configuration: configuration)
        return windows.map { detector.ingest($0) }
    }

    static func close(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (a?, b?): return a == b || abs(a - b) <= 1e-9 * max(abs(a), abs(b))
        default: return false
        }
    }

    @Test func reorderingServersChangesNoVerdict() {
        for seed in UInt64(1)...60 {
            let generated = Self.generate(seed: seed)
            var rng = TestRandom(seed: seed ^ 0xABCD)
            let shuffled = generated.windows.map { window in
                var window = window
                window.servers.shuffle(using: &rng)
                return window
            }
            #expect(Self.run(generated.windows) == Self.run(shuffled), "seed \(seed)")
        }
    }

    @Test(arguments: [0.001, 0.5, 3.7, 1000])
    func scalingEveryLatencyChangesNoVerdict(factor: Double) {
        for seed in UInt64(1)...30 {
            let generated = Self.generate(seed: seed)
            let scaled = generated.windows.map { window in
                var window = window
                for i in window.servers.indices { window.servers[i].latenciesSeconds = window.servers[i].latenciesSeconds.map { $0 * factor } }
                return window
            }
            for (a, b) in zip(Self.run(generated.windows), Self.run(scaled)) {
                #expect(VerdictDecisions(a) == VerdictDecisions(b), "seed \(seed) factor \(factor)")
                #expect(Self.close(a.imbalanceRatio, b.imbalanceRatio), "seed \(seed)")
                #expect(Self.close(a.fairnessIndex, b.fairnessIndex), "seed \(seed)")
                for (x, y) in zip(a.servers, b.servers) {
                    #expect(Self.close(x.slowdownRatio, y.slowdownRatio) && Self.close(x.peerRatio, y.peerRatio),
                            "seed \(seed) server \(x.server)")
                }
            }
        }
    }

    @Test func identicalServersNeverGiveAFinding() {
        var findings = 0
        for seed in UInt64(1)...100 {
            let generated = Self.generate(seed: seed, windows: 40, identical: true)
            for verdict in Self.run(generated.windows) where !verdict.findings.isEmpty {
                findings += 1
                Issue.record("seed \(seed): \(verdict.findings.map { "\($0.kind) \($0.server ?? "*")" })")
            }
        }
        #expect(findings == 0)
    }

    @Test func makingAnOutlierSlowerNeverRemovesItsFinding() {
        for seed in UInt64(1)...40 {
            let generated = Self.generate(seed: seed)
            guard let slow = generated.slowServer else { continue }
            for extra in [1.1, 2, 10] {
                let slower = generated.windows.map { window in
                    var window = window
                    for i in window.servers.indices where window.servers[i].server == slow {
                        window.servers[i].latenciesSeconds = window.servers[i].latenciesSeconds.map { $0 * extra }
                    }
                    return window
                }
                for (index, (a, b)) in zip(Self.run(generated.windows), Self.run(slower)).enumerated() {
                    let before = a.findings.contains { $0.kind == .imbalance && $0.server == slow }
                    let after = b.findings.contains { $0.kind == .imbalance && $0.server == slow }
                    #expect(!before || after, "seed \(seed) extra \(extra) window \(index)")
                    let significantBefore = a.servers.first { $0.server == slow }?.significantlySlower ?? false
                    let significantAfter = b.servers.first { $0.server == slow }?.significantlySlower ?? false
                    #expect(!significantBefore || significantAfter, "seed \(seed) extra \(extra) window \(index)")
                }
            }
        }
    }

    @Test func ratiosAreNeverNegativeAndJainStaysInRange() {
        for seed in UInt64(1)...60 {
            for verdict in Self.run(Self.generate(seed: seed).windows) {
                let active = Double(verdict.servers.count(where: \.active))
                if let jain = verdict.fairnessIndex {
                    #expect(jain >= 1 / active - 1e-12 && jain <= 1, "seed \(seed)")
                }
                #expect((verdict.imbalanceRatio ?? 1) >= 1, "seed \(seed)")
                #expect((verdict.coefficientOfVariation ?? 0) >= 0, "seed \(seed)")
                #expect((verdict.groupSlowdownRatio ?? 0) >= 0, "seed \(seed)")
                for server in verdict.servers {
                    #expect((server.slowdownRatio ?? 0) >= 0 && (server.peerRatio ?? 0) >= 0, "seed \(seed)")
                    #expect((0...1).contains(server.pValue ?? 0), "seed \(seed)")
                }
                for finding in verdict.findings {
                    #expect(finding.ratio >= 0, "seed \(seed)")
                    #expect(finding.causes.allSatisfy { $0.score >= 0 && (-1...1).contains($0.correlation ?? 0) },
                            "seed \(seed)")
                    #expect(zip(finding.causes, finding.causes.dropFirst()).allSatisfy { $0.score >= $1.score },
                            "seed \(seed): causes out of order")
                }
            }
        }
    }

    @Test func counterRateIsNeverNegative() {
        var rng = TestRandom(seed: 7)
        for _ in 0..<10_000 {
            let previous = rng.next() % 3 == 0 ? nil : rng.next() >> UInt64(rng.next() % 64)
            let current = rng.next() % 3 == 0 ? nil : rng.next() >> UInt64(rng.next() % 64)
            let elapsed = rng.uniform(-1...60)
            if let rate = counterRate(previous: previous, current: current, elapsedSeconds: elapsed) {
                #expect(rate >= 0, "seed 7: \(String(describing: previous)) -> \(String(describing: current))")
            }
        }
    }
}
