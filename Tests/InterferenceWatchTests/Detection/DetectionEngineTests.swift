@testable import Parsers
import Detectors
import Foundation
import Logging
import Synchronization
import Testing

@testable import InterferenceWatch

/// The daemon side of detection: windows assembled from recorded latency and snapshots, verdicts, JSON, persistence.
struct DetectionEngineTests {
    static let config = try! DaemonConfig.parse("""
        workloads:
          - {name: named-s1, cgroup: /lab/s1}
        groups:
          - name: lab
            servers:
              - {name: s1, cgroup: /lab/s1}
              - {name: s2, cgroup: /lab/s2}
              - {name: s3, workload: web-1}
              - {name: s4, pid: 4242}
        """, file: "test.yaml")

    @Test func serversAreJoinedToTheirWorkloads() {
        let group = Self.config.groups[0]
        let names = group.servers.map { Self.config.workloadName(group: group, server: $0) }
        #expect(names == ["named-s1", "lab/s2", "web-1", "lab/s4"])
        // Placements by cgroup or pid became workloads the collectors read (s1's cgroup was already named).
        #expect(Self.config.workloads.map(\.name) == ["named-s1", "lab/s2", "lab/s4"])
    }

    private func snapshot(at time: Double, s2Swap: UInt64, s2Faults: UInt64) -> Sweep {
        var snapshot = Sweep()
        snapshot.atSeconds = time
        snapshot.host = HostSample(meminfoBytes: ["MemTotal": 8 << 30, "MemAvailable": 1 << 30], vmstat: ["pswpin": 0, "pswpout": 0])
        for (name, swap, faults) in [("named-s1", UInt64(0), UInt64(0)), ("lab/s2", s2Swap, s2Faults), ("web-1", 0, 0), ("lab/s4", 0, 0), ("other", 0, 0)] {
            snapshot.workloads.append(WorkloadSample(name: name, kind: .cgroup, cgroup: "/" + name, cgroupVersion: 1,
                                                     usageBytes: 100 << 20, swapBytes: swap, stat: [.pgmajfault: faults]))
        }
        return snapshot
    }

    @Test func windowUsesServerTimingAndCountsFailures() {
        let group = Self.config.groups[0]
        let builder = WindowBuilder(group: group.name, servers: group.servers.map(\.name),
                                    workloadOfServer: ["s1": "named-s1", "s2": "lab/s2"], pageSizeBytes: 4096)
        let samples = [
            LatencySample(group: "lab", server: "s1", source: .probe, seconds: 0.5, serverSeconds: 0.2, outcome: .success, atSeconds: 10),
            LatencySample(group: "lab", server: "s1", source: .probe, seconds: 60, serverSeconds: nil, outcome: .timeout, atSeconds: 11),
            LatencySample(group: "lab", server: "s2", source: .push, seconds: 0.3, serverSeconds: nil, outcome: .success, atSeconds: 12),
        ]
        let window = builder.window(startSeconds: 10, endSeconds: 20, samples: samples,
                                    previous: self.snapshot(at: 10, s2Swap: 0, s2Faults: 0),
                                    current: self.snapshot(at: 20, s2Swap: 10 << 20, s2Faults: 500))
        let s1 = window.servers[0], s2 = window.servers[1]
        #expect(s1.latenciesSeconds == [0.2])  // the server's own task time, not the client's 0.5
        #expect(s1.failures == 1)
        #expect(s2.latenciesSeconds == [0.3])
        #expect(s2.signals.swapOutBytesPerSecond == Double(10 << 20) / 10)
        #expect(s2.signals.majorFaultsPerSecond == 50)
        #expect(window.servers[2].workload == nil && window.servers[2].latenciesSeconds.isEmpty)
        // Neighbours are every other workload, never the group's own servers.
        #expect(Set(window.neighbours.keys) == ["web-1", "lab/s4", "other"])
        #expect(window.host.swapInBytesPerSecond == 0)
        #expect(window.host.memTotalBytes == Double(8 << 30))
    }

    @Test func vmSignalsLandOnTheWorkloadTheVMIsJoinedTo() {
        let group = Self.config.groups[0]
        let builder = WindowBuilder(group: group.name, servers: group.servers.map(\.name), workloadOfServer: ["s3": "web-1"],
                                    pageSizeBytes: 4096)
        var before = self.snapshot(at: 0, s2Swap: 0, s2Faults: 0), after = self.snapshot(at: 10, s2Swap: 0, s2Faults: 0)
        var vm = VMSample(name: "qemu-web", source: .qmp, up: true, balloonActualBytes: 1 << 30)
        before.vms = [vm]
        before.vmWorkloads = ["qemu-web": "web-1"]
        vm.balloonActualBytes = 768 << 20
        after.vms = [vm]
        after.vmWorkloads = ["qemu-web": "web-1"]
        let signals = builder.workloadSignals(previous: before, current: after, elapsedSeconds: 10)
        #expect(signals["web-1"]?.balloonShrinkBytes == Double(256 << 20))
        #expect(signals["qemu-web"] == nil)
    }

    @Test func swappingServerIsFlaggedAndServedAsJSONAndMetrics() throws {
        // Samples arrive at the time they claim: the recorder's clock is the test's.
        let now = Mutex(0.0)
        let recorder = LatencyRecorder(now: { now.withLock { $0 } })
        let saved = Mutex<[String: [String: ServerBaseline]]>([:])
        let engine = DetectionEngine(groups: Self.config.detectionGroups, windowSeconds: 10, recorder: recorder,
                                     pageSizeBytes: 4096, logger: Logger(label: "t"),
                                     onStep: { _, baselines in saved.withLock { $0 = baselines } })
        var random = SystemRandomNumberGenerator()
        var faults: UInt64 = 0, swap: UInt64 = 0
        #expect(engine.ingest(self.snapshot(at: 0, s2Swap: 0, s2Faults: 0)) == nil)  // opens the first window
        for window in 1...8 {
            let slow = window >= 4
            if slow { faults += 5000; swap += 50 << 20 }
            var samples: [LatencySample] = []
            for i in 0..<20 {
                let at = Double(window - 1) * 10 + Double(i) * 0.5
                for server in ["s1", "s2", "s3", "s4"] {
                    let base = 1.0 + Double.random(in: -0.05...0.05, using: &random)
                    let seconds = server == "s2" && slow ? base * 1.8 : base
                    samples.append(LatencySample(group: "lab", server: server, source: .probe, seconds: seconds,
                                                 serverSeconds: seconds, outcome: .success, atSeconds: at))
                }
            }
            for sample in samples {
                now.withLock { $0 = sample.atSeconds }
                recorder.record([sample])
            }
            let step = engine.ingest(self.snapshot(at: Double(window) * 10, s2Swap: swap, s2Faults: faults))
            #expect(step?.endSeconds == Double(window) * 10)
            #expect(step?.verdicts.first?.servers.map(\.statistics.count) == [20, 20, 20, 20])
        }
        let finding = try #require(engine.findings.first { $0.server == "s2" })
        #expect(finding.kind == .imbalance)
        #expect(["workload_swap", "workload_major_faults"].contains(finding.causes.first?.signal ?? ""))
        #expect(!engine.findings.contains { $0.server != "s2" })

        let json = try JSONSerialization.jsonObject(with: APIJSON.encode(engine.findingsDocument())) as? [String: Any]
        let findings = try #require(json?["findings"] as? [[String: Any]])
        #expect(findings.first?["server"] as? String == "s2")
        #expect(findings.first?["since_seconds"] != nil)
        #expect((json?["groups"] as? [[String: Any]])?.first?["imbalance_ratio"] != nil)

        let text = String(decoding: ExpositionWriter.render(engine.families()), as: UTF8.self)
        let metrics = Exposition(text: text)
        #expect(metrics.value("interferencewatch_server_outlier", ["server": "s2"]) == 1)
        #expect(metrics.value("interferencewatch_server_outlier", ["server": "s1"]) == 0)
        #expect((metrics.value("interferencewatch_group_imbalance_ratio", ["group": "lab"]) ?? 0) > 1.5)
        #expect(metrics.value("interferencewatch_finding_ratio", ["server": "s2", "kind": "imbalance"]) != nil)

        // Every step hands the learned baselines on (history keeps them); a new engine starts from them.
        #expect(saved.withLock { $0 }["lab"]?["s1"] != nil)
        let resumed = DetectionEngine(groups: Self.config.detectionGroups, windowSeconds: 10, recorder: recorder,
                                      baselines: saved.withLock { $0 }, pageSizeBytes: 4096, logger: Logger(label: "t"))
        #expect(resumed.run(startedAtSeconds: 0).baselines["lab"]?["s1"] == saved.withLock { $0 }["lab"]?["s1"])
    }

    @Test func corruptBaselineFileIsMovedAsideNotLost() throws {
        let tree = try TemporaryTree()
        try tree.write("baselines.json", "{not json")
        let store = BaselineStore(path: tree.root + "/baselines.json", logger: Logger(label: "t"))
        #expect(store.load().isEmpty)
        let kept = try FileManager.default.contentsOfDirectory(atPath: tree.root).filter { $0.hasPrefix("baselines.json.corrupt-") }
        #expect(kept.count == 1)
        #expect(try String(contentsOfFile: tree.root + "/" + kept[0], encoding: .utf8) == "{not json")
    }
}
