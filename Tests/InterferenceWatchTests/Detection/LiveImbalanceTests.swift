import Detectors
@testable import Parsers
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import InterferenceWatch

/// The study's experiment on this host, end to end: four real task servers in four real cgroups, one squeezed so it
/// swaps, the real daemon probing them in rounds. It must flag that server, name swap or memory pressure, leave the
/// others alone, and resolve the finding once the squeeze is released. The set-up is ``Squeeze``
/// (`LiveImbalanceTests+Squeeze.swift`); `LiveImbalanceTests+Prometheus.swift` runs it under a real Prometheus and
/// Alertmanager.
@Suite(.serialized, .enabled(if: LiveCgroup.available && LiveCgroup.swapEnabled, "needs root, cgroup v1 memory, stress and swap"))
struct LiveImbalanceTests {
    static let taskServer = TestPaths.packageRoot.appendingPathComponent("contrib/lab/task-server/task-server.py").path

    @Test func squeezedServerIsFlaggedWithSwapAndResolvesAfterRelease() async throws {
        let lab = try await Squeeze()
        defer { lab.stop() }
        let (daemon, receiver, tree) = (lab.daemon, lab.receiver, lab.tree)

        // Calm first: three windows with no finding, so baselines and peers are learned.
        try await lab.waitForWindows(3)
        let calm = try await Self.findings(daemon)
        #expect(calm.isEmpty, "findings while calm: \(calm)")
        #expect(receiver.received.isEmpty, "alerts while calm: \(receiver.received.compactMap { $0.json })")

        try await lab.squeeze()
        let squeezedAt = Date()

        let (detected, flagged) = try await lab.waitForS2Flagged(within: 120)
        let delay = Date().timeIntervalSince(squeezedAt)
        #expect(detected, "s2 never flagged; findings: \(flagged)\nlog:\n\(daemon.log.suffix(3000))")
        let s2 = try #require(flagged.first { ($0["server"] as? String) == "s2" })
        let topCause = ((s2["causes"] as? [[String: Any]])?.first?["signal"] as? String) ?? "none"
        #expect(["workload_swap", "workload_psi_memory", "workload_major_faults", "workload_refaults"].contains(topCause),
                "top cause \(topCause): \(s2)")
        #expect(!flagged.contains { ["s1", "s3", "s4"].contains($0["server"] as? String ?? "") }, "\(flagged)")
        print("live imbalance: s2 flagged \(Int(delay)) s after the squeeze (8 s windows: \(Int((delay / 8).rounded(.up))) windows), top cause \(topCause), ratio \(s2["ratio"] ?? "?")")
        let metrics = Exposition(text: try await daemon.get("/metrics").body)
        #expect(metrics.value("interferencewatch_server_outlier", ["group": "lab", "server": "s2"]) == 1)
        #expect(metrics.value("interferencewatch_server_outlier", ["group": "lab", "server": "s1"]) == 0)
        #expect(!metrics.lines("interferencewatch_server_latency_seconds_bucket").isEmpty)

        // Release the squeeze: the finding resolves once s2 is back with its peers.
        try lab.release()
        let releasedAt = Date()
        var after: [[String: Any]] = []
        let resolved = try await LiveCgroup.waitUntil(seconds: 150) {
            after = try await Self.findings(daemon)
            return !after.contains { ($0["server"] as? String) == "s2" }
        }
        #expect(resolved, "s2 still flagged after release: \(after)")

        // Alerts: exactly one imbalance alert, for s2, with a memory cause, fired once and resolved.
        func imbalance(_ status: String) -> [[String: Any]] {
            receiver.received.compactMap(\.json).filter { document in
                let labels = (document["alert"] as? [String: Any])?["labels"] as? [String: String] ?? [:]
                return document["status"] as? String == status && labels["alertname"] == "InterferenceWatchServerImbalance"
            }
        }
        let alertResolved = await eventually(within: 30) { !imbalance("resolved").isEmpty }
        #expect(alertResolved, "the imbalance alert did not resolve: \(receiver.received.compactMap(\.json))")
        let fired = imbalance("firing")
        #expect(fired.count == 1, "imbalance alerts fired: \(fired)")
        let labels = (fired.first?["alert"] as? [String: Any])?["labels"] as? [String: String] ?? [:]
        #expect(labels["server"] == "s2" && labels["group"] == "lab" && labels["kind"] == "imbalance")
        #expect(["workload_swap", "workload_psi_memory", "workload_major_faults", "workload_refaults", "host_swap", "host_psi_memory"]
            .contains(labels["cause"] ?? ""), "cause \(labels["cause"] ?? "none")")
        print("live imbalance: one imbalance alert for s2 (cause \(labels["cause"] ?? "?")), resolved; other alerts: \(receiver.received.count - 2)")
        print("live imbalance: resolved \(Int(Date().timeIntervalSince(releasedAt))) s after the release; other servers flagged: 0")

        // History: the episode was recorded, and `replay` of the stored run gives exactly the recorded events.
        #expect(daemon.stop() == 0)
        let reader = HistoryReader(database: try HistoryDatabase(directory: tree.root + "/state", create: false))
        let recorded = try reader.events(from: 0, to: .infinity)
        #expect(recorded.contains { $0.change == .opened && $0.finding.server == "s2" })
        let replayed = try await Self.replayEvents(storage: tree.root + "/state")
        #expect(replayed.count == recorded.count, "replayed \(replayed.count) events, recorded \(recorded.count)")
        for (live, again) in zip(recorded, replayed) {
            #expect(live.atSeconds == again.atSeconds && live.change.rawValue == again.change && live.finding == again.finding,
                    "recorded \(live), replayed \(again)")
        }
        print("live imbalance: replay of the stored run gave \(replayed.count) events, the same as recorded")
    }

    struct ReplayedEvent: Decodable {
        var atSeconds: Double
        var change: String
        var finding: Finding
    }

    /// Runs `interference-watch replay --format json` over all of the stored history.
    static func replayEvents(storage: String) async throws -> [ReplayedEvent] {
        let data = Data(try await BinaryRun.run(["replay", "--storage.path", storage, "--from", "0", "--format", "json"]).stdout.utf8)
        struct Output: Decodable { var events: [ReplayedEvent] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return try decoder.decode(Output.self, from: data).events
    }

    static func findings(_ daemon: DaemonProcess) async throws -> [[String: Any]] {
        let body = try await daemon.get("/api/v1/findings").body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return json?["findings"] as? [[String: Any]] ?? []
    }
}
