import Foundation
import TestKit
import Testing

@testable import Detectors

/// Detection over sweeps: windows close on the sweeps that end them, late samples count when they arrive, and a
/// stored run replays to exactly the steps it produced live.
struct SweepDetectionTests {
    static let groups = [SweepDetection.Group(name: "lab", servers: ["s1", "s2", "s3", "s4"],
                                              workloadOfServer: ["s1": "w1", "s2": "w2", "s3": "w3", "s4": "w4"])]

    /// A run of `windows` windows of 10 s with 1 s sweeps (a little jitter); s2 swaps and slows from `slowFrom` on.
    static func run(windows: Int, slowFrom: Int, seed: UInt64) -> (sweeps: [Sweep], samples: [LatencySample]) {
        var rng = TestRandom(seed: seed)
        var sweeps: [Sweep] = []
        var samples: [LatencySample] = []
        var swap: UInt64 = 0
        for second in 0...(windows * 10) {
            let t = 1_767_225_600 + Double(second) + rng.uniform(-0.004...0.004)
            let slow = second / 10 >= slowFrom
            if slow { swap += 5 << 20 }
            let workloads = (1...4).map { index in
                WorkloadSample(name: "w\(index)", kind: .cgroup, cgroup: "/lab/s\(index)", cgroupVersion: 2,
                               usageBytes: 96 << 20, swapBytes: index == 2 ? swap : 0,
                               stat: [.pgmajfault: index == 2 ? swap / 4096 : 0])
            }
            sweeps.append(Sweep(atSeconds: t, host: HostSample(meminfoBytes: ["MemTotal": 8 << 30, "MemAvailable": 1 << 30],
                                                               vmstat: ["pswpin": 0, "pswpout": swap / 4096]),
                                workloads: workloads))
            for server in 1...4 {
                let base = 1.0 * rng.uniform(0.95...1.05)
                let seconds = server == 2 && slow ? base * 1.8 : base
                // Request started half a second ago and arrived now: in the window its arrival falls in.
                samples.append(LatencySample(group: "lab", server: "s\(server)", source: .probe, seconds: seconds,
                                             serverSeconds: seconds, atSeconds: t - 0.5, recordedAtSeconds: t + 0.01))
            }
        }
        return (sweeps, samples)
    }

    /// Feeds sweeps one at a time with samples appended as they arrive, as the daemon does.
    static func live(_ run: (sweeps: [Sweep], samples: [LatencySample])) -> [SweepDetection.Step] {
        var detection = SweepDetection(groups: Self.groups, windowSeconds: 10, pageSizeBytes: 4096)
        var log = LatencyLog()
        var pending = run.samples[...]
        var steps: [SweepDetection.Step] = []
        for sweep in run.sweeps {
            while let next = pending.first, next.arrivalSeconds < sweep.atSeconds {
                log.append(next)
                pending = pending.dropFirst()
            }
            if let step = detection.ingest(sweep, samples: { log.samples(group: $0, from: $1, to: $2) }) { steps.append(step) }
        }
        return steps
    }

    @Test func windowsCloseOnTheSweepThatEndsThemDespiteJitter() {
        let steps = Self.live(Self.run(windows: 5, slowFrom: 99, seed: 1))
        #expect(steps.count == 5)
        for step in steps {
            #expect(abs(step.endSeconds - step.startSeconds - 10) < 0.02, "\(step.startSeconds)...\(step.endSeconds)")
            // Ten sweeps a window, one sample per server per sweep.
            #expect(step.verdicts[0].servers.map(\.statistics.count) == [10, 10, 10, 10])
        }
        #expect(zip(steps, steps.dropFirst()).allSatisfy { $0.endSeconds == $1.startSeconds })
    }

    @Test func swappingServerOpensOneFindingThatReplaysIdentically() throws {
        let run = Self.run(windows: 12, slowFrom: 4, seed: 7)
        let live = Self.live(run)
        let opened = live.flatMap(\.changes.opened)
        #expect(opened.map(\.server) == ["s2"], "\(opened)")
        #expect(opened.first?.kind == .imbalance)
        #expect(["workload_swap", "workload_major_faults"].contains(opened.first?.causes.first?.signal ?? ""))

        // Stored and read back as history would be, then replayed from scratch.
        let encoder = JSONEncoder()
        let sweeps = try JSONDecoder().decode([Sweep].self, from: encoder.encode(run.sweeps))
        let samples = try JSONDecoder().decode([LatencySample].self, from: encoder.encode(run.samples))
        let replayed = SweepDetection.replay(sweeps: sweeps, samples: LatencyLog(samples: samples), groups: Self.groups,
                                             windowSeconds: 10, pageSizeBytes: 4096)
        #expect(replayed == live)
    }

    @Test func aClockSteppedBackStartsANewWindowInsteadOfStalling() {
        var detection = SweepDetection(groups: Self.groups, windowSeconds: 10, pageSizeBytes: 4096)
        let empty: (String, Double, Double) -> [LatencySample] = { _, _, _ in [] }
        #expect(detection.ingest(Sweep(atSeconds: 1000), samples: empty) == nil)
        #expect(detection.ingest(Sweep(atSeconds: 500), samples: empty) == nil)  // stepped back an hour... or so
        #expect(detection.ingest(Sweep(atSeconds: 505), samples: empty) == nil)
        let step = detection.ingest(Sweep(atSeconds: 510), samples: empty)
        #expect(step?.startSeconds == 500 && step?.endSeconds == 510)
    }

    @Test func reconfigureKeepsUnchangedGroupsAndDropsRemovedOnes() {
        var detection = SweepDetection(groups: Self.groups + [.init(name: "other", servers: ["a"], workloadOfServer: [:])],
                                       windowSeconds: 10, pageSizeBytes: 4096)
        let empty: (String, Double, Double) -> [LatencySample] = { _, _, _ in [] }
        _ = detection.ingest(Sweep(atSeconds: 0), samples: empty)
        _ = detection.ingest(Sweep(atSeconds: 10), samples: empty)
        #expect(detection.verdicts.map(\.group) == ["lab", "other"])
        detection.reconfigure(groups: Self.groups)
        #expect(detection.verdicts.map(\.group) == ["lab"])
        #expect(detection.groups == Self.groups)
    }

    @Test func findingChangesNameWhatOpenedChangedAndResolved() {
        func finding(_ server: String?, _ cause: String?) -> Finding {
            Finding(server: server, group: "g", kind: .imbalance, ratio: 2, sinceSeconds: 0,
                    causes: cause.map { [Cause(signal: $0, scope: .workload, subject: server, beforeValue: nil, duringValue: 1,
                                              correlation: nil, score: 1, summary: "")] } ?? [])
        }
        let before = [finding("a", "workload_swap"), finding("b", "workload_swap"), finding("c", nil)]
        var moved = finding("b", "host_swap")
        moved.ratio = 3
        var drifted = finding("a", "workload_swap")
        drifted.ratio = 5
        let changes = FindingChanges(from: before, to: [drifted, moved, finding("d", nil)])
        #expect(changes.opened.map(\.server) == ["d"])
        #expect(changes.changed.map(\.server) == ["b"])  // a's ratio drifted: not a change
        #expect(changes.resolved.map(\.server) == ["c"])
        #expect(FindingChanges(from: before, to: before).isEmpty)
    }
}
