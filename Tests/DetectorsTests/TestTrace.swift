import TestKit
@testable import Detectors

/// Builds generated group windows: 4 servers `s0...s3` in workloads `w0...w3`, 30-second windows.
struct TestTrace {
    /// How one server behaves in one window.
    struct Server {
        var name: String
        var workload: String?
        var medianSeconds: Double = 1.0
        var sigma: Double = 0.3
        var samples: Int = 20
        var failures: Int = 0
        var signals = WorkloadSignals()
    }

    static let windowSeconds = 30.0
    static let epoch = 1_700_000_000.0

    var rng: TestRandom

    init(seed: UInt64) {
        self.rng = TestRandom(seed: seed)
    }

    static func start(of index: Int) -> Double { TestTrace.epoch + Double(index) * TestTrace.windowSeconds }

    static func servers(_ count: Int = 4) -> [Server] {
        (0..<count).map { Server(name: "s\($0)", workload: "w\($0)") }
    }

    /// Calm workload signals with a little noise, as a quiet cgroup shows.
    mutating func calmSignals(memoryBytes: Double = 512 * 1_048_576) -> WorkloadSignals {
        WorkloadSignals(
            psiMemorySomeRatio: self.rng.uniform(0...0.004), psiMemoryFullRatio: 0,
            swapInBytesPerSecond: 0, swapOutBytesPerSecond: 0, swapUsageBytes: 0,
            majorFaultsPerSecond: self.rng.uniform(0...3), refaultsPerSecond: self.rng.uniform(0...20),
            memoryUsageBytes: memoryBytes * self.rng.uniform(0.99...1.01), oomKills: 0, highEvents: 0)
    }

    /// The signals of a workload that swaps hard.
    mutating func swappingSignals(memoryBytes: Double = 512 * 1_048_576) -> WorkloadSignals {
        WorkloadSignals(
            psiMemorySomeRatio: self.rng.uniform(0.1...0.25), psiMemoryFullRatio: self.rng.uniform(0.02...0.08),
            swapInBytesPerSecond: self.rng.uniform(2...4) * 1_048_576,
            swapOutBytesPerSecond: self.rng.uniform(1...3) * 1_048_576, swapUsageBytes: 200 * 1_048_576,
            majorFaultsPerSecond: self.rng.uniform(300...600), refaultsPerSecond: self.rng.uniform(500...1500),
            memoryUsageBytes: memoryBytes * self.rng.uniform(0.99...1.01), oomKills: 0, highEvents: 0)
    }

    mutating func calmHost() -> HostSignals {
        HostSignals(swapInBytesPerSecond: 0, swapOutBytesPerSecond: 0,
                    psiMemorySomeRatio: self.rng.uniform(0...0.003), psiMemoryFullRatio: 0,
                    majorFaultsPerSecond: self.rng.uniform(0...10), memAvailableBytes: 4e9, memTotalBytes: 8e9)
    }

    mutating func window(_ index: Int, servers: [Server], host: HostSignals,
                         neighbours: [String: WorkloadSignals] = [:]) -> GroupWindow {
        let windows = servers.map { server in
            ServerWindow(
                server: server.name, workload: server.workload,
                latenciesSeconds: (0..<server.samples).map { _ in
                    self.rng.logNormal(median: server.medianSeconds, sigma: server.sigma)
                },
                failures: server.failures, signals: server.signals)
        }
        return GroupWindow(group: "web", startSeconds: TestTrace.start(of: index),
                           endSeconds: TestTrace.start(of: index + 1), servers: windows, host: host,
                           neighbours: neighbours)
    }

    /// A calm window of equal servers.
    mutating func calmWindow(_ index: Int, servers: [Server] = TestTrace.servers()) -> GroupWindow {
        var servers = servers
        for i in servers.indices { servers[i].signals = self.calmSignals() }
        return self.window(index, servers: servers, host: self.calmHost())
    }
}

/// The parts of a verdict that are decisions, not measurements: what must not change under reordering or
/// rescaling.
struct VerdictDecisions: Equatable, CustomStringConvertible {
    var servers: [String]
    var significant: [Bool]
    var outliers: [Bool]
    var active: [Bool]
    var findings: [String]

    init(_ verdict: GroupVerdict) {
        self.servers = verdict.servers.map(\.server)
        self.significant = verdict.servers.map(\.significantlySlower)
        self.outliers = verdict.servers.map(\.outlier)
        self.active = verdict.servers.map(\.active)
        self.findings = verdict.findings.map { finding in
            "\(finding.kind)|\(finding.server ?? "*")|\(finding.sinceSeconds)|"
                + finding.causes.map { "\($0.signal):\($0.subject ?? "")" }.joined(separator: ",")
        }
    }

    var description: String { "servers \(self.servers) significant \(self.significant) findings \(self.findings)" }
}
