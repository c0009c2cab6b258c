import Foundation
import Testing

@testable import Detectors

/// Every stored type round-trips, and the version-1 records kept in `Fixtures/v1` (written by the first version
/// that stored them) still decode to the same values: history written today must replay in every later version.
/// `UPDATE_GOLDEN=1` writes a missing fixture; an existing one is never rewritten, it is the old version's output.
struct StoredRecordTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/v1")

    static let sweep = Sweep(
        atSeconds: 1_767_225_600.25,
        host: HostSample(meminfoBytes: ["MemTotal": 8 << 30, "MemAvailable": 1 << 30, "SwapTotal": 2 << 30, "SwapFree": 1 << 30],
                         vmstat: ["pswpin": 1200, "pswpout": 3400, "pgmajfault": 99],
                         pressure: [.memory: PSIStats(some: PSILine(avg10Percent: 1.5, avg60Percent: 0.5, avg300Percent: 0.1,
                                                                     totalMicroseconds: 4_100_000),
                                                      full: PSILine(avg10Percent: 0.2, avg60Percent: 0.1, avg300Percent: 0,
                                                                    totalMicroseconds: 900_000))]),
        workloads: [
            WorkloadSample(name: "lab/s1", kind: .cgroup, cgroup: "/lab/s1", cgroupVersion: 1, usageBytes: 96 << 20,
                           limitBytes: 48 << 20, swapBytes: 50 << 20, stat: [.pgmajfault: 5000, .inactiveFile: 1 << 20],
                           events: ["max": 3]),
            WorkloadSample(name: "web1", kind: .vm, cgroup: "/machine.slice/machine-qemu\\x2d1\\x2dweb1.scope", cgroupVersion: 2,
                           usageBytes: 1 << 30, highBytes: 900 << 20,
                           pressure: PSIStats(some: PSILine(avg10Percent: 3, avg60Percent: 2, avg300Percent: 1, totalMicroseconds: 7),
                                              full: nil)),
        ],
        vms: [VMSample(name: "web1", source: .qmp, up: true, status: "running", configuredBytes: 1 << 30,
                       balloonActualBytes: 768 << 20, maximumBytes: 1 << 30,
                       guestStats: .init(freeBytes: 10 << 20, availableBytes: 200 << 20, swapInBytes: 4096, lastUpdateSeconds: 1_767_225_599),
                       rssBytes: 700 << 20, eventCounts: ["BALLOON_CHANGE": 2], balloonChanges: 2,
                       lastBalloonChangeSeconds: 1_767_225_500.5, lastBalloonChangeActualBytes: 768 << 20, pid: 4242,
                       collectedAtSeconds: 1_767_225_600, readDurationSeconds: 0.004),
              VMSample(name: "dead", source: .libvirt, up: false, error: "virsh dominfo dead: timed out")],
        vmWorkloads: ["web1": "web1"])

    static let latencySamples = [
        LatencySample(group: "lab", server: "s1", source: .probe, seconds: 1.25, serverSeconds: 1.1, atSeconds: 1_767_225_601,
                      recordedAtSeconds: 1_767_225_602.3),
        LatencySample(group: "lab", server: "s2", source: .probe, seconds: 0, outcome: .timeout, atSeconds: 1_767_225_601),
        LatencySample(group: "lab", server: "s3", source: .push, seconds: 0, outcome: .error("status 500"), atSeconds: 1_767_225_601),
    ]

    static let changes = FindingChanges(
        opened: [Finding(server: "s2", group: "lab", kind: .imbalance, ratio: 1.8, sinceSeconds: 1_767_225_000,
                         causes: [Cause(signal: "workload_swap", scope: .workload, subject: "lab/s2", beforeValue: 0,
                                        duringValue: 5_000_000, correlation: 0.91, score: 3.2,
                                        summary: "workload lab/s2 swapped 4.8 MiB/s")])],
        changed: [],
        resolved: [Finding(server: nil, group: "api", kind: .slowdown, ratio: .infinity, sinceSeconds: 1_767_224_000, causes: [])])

    static var advisorState: MinimumHostMemoryAdvisor.State {
        var advisor = MinimumHostMemoryAdvisor()
        advisor.record(Self.sweep)
        var later = Self.sweep
        later.atSeconds += 100
        later.host.meminfoBytes["MemAvailable"] = 3 << 30
        later.host.vmstat["pswpin"] = 5200
        advisor.record(later)
        advisor.recordCalibration(CalibrationResult(
            startedAtSeconds: 1_767_225_000, endedAtSeconds: 1_767_225_500, capacityBytes: 8 << 30, capacityCgroup: nil,
            stepBytes: 256 << 20,
            steps: [.init(index: 0, allocatedBytes: 0, startSeconds: 1_767_225_000, endSeconds: 1_767_225_200, availableBytes: 2 << 30,
                          swapInBytesPerSecond: 0, psiMemorySomeRatio: 0, groups: [], findingOpened: false),
                    .init(index: 1, allocatedBytes: 256 << 20, startSeconds: 1_767_225_200, endSeconds: 1_767_225_500,
                          availableBytes: 1 << 30, swapInBytesPerSecond: 1e6, psiMemorySomeRatio: 0.2,
                          groups: [.init(group: "lab", medianSeconds: 1.5, imbalanceRatio: 1.9, fairnessIndex: 0.8,
                                         findings: ["imbalance s2: workload_swap"])],
                          findingOpened: true)],
            stopReason: "finding"))
        return advisor.state
    }

    /// The first version's advisor state: one peak per minute and the latest raw demand.
    static let firstAdvisorLatest = HostMemoryDemand(totalBytes: 8 << 30, usedBytes: 6 << 30, swappedBytes: 0, balloonedBytes: 0)

    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return try decoder.decode(type, from: data)
    }

    /// Decodes `Fixtures/v1/<name>`, writing it first from `value` when missing and `UPDATE_GOLDEN=1`.
    static func fixture<T: Codable & Equatable>(_ name: String, _ value: T) throws -> T {
        let url = self.fixtures.appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: url.path), ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try self.encode(value).write(to: url)
        }
        return try self.decode(T.self, try Data(contentsOf: url))
    }

    @Test func everyStoredTypeRoundTrips() throws {
        #expect(try Self.decode(Sweep.self, Self.encode(Self.sweep)) == Self.sweep)
        #expect(try Self.decode([LatencySample].self, Self.encode(Self.latencySamples)) == Self.latencySamples)
        #expect(try Self.decode(FindingChanges.self, Self.encode(Self.changes)) == Self.changes)
        let state = Self.advisorState
        #expect(try Self.decode(MinimumHostMemoryAdvisor.State.self, Self.encode(state)) == state)
    }

    @Test func versionOneRecordsStillDecode() throws {
        #expect(try Self.fixture("sweep.json", Self.sweep) == Self.sweep)
        #expect(try Self.fixture("latency-samples.json", Self.latencySamples) == Self.latencySamples)
        #expect(try Self.fixture("finding-changes.json", Self.changes) == Self.changes)
        // The first state's per-minute peaks are not carried over (they counted cold swap in full); its latest is.
        let first = try Self.decode(MinimumHostMemoryAdvisor.State.self, Data(contentsOf: Self.fixtures.appendingPathComponent("advisor-state.json")))
        #expect(first.latest == Self.firstAdvisorLatest && first.latestAtSeconds == 1_767_225_700 && first.workloads.isEmpty)
        #expect(try Self.fixture("advisor-state-workloads.json", Self.advisorState) == Self.advisorState)
    }

    @Test func recordsCarryTheirSchemaVersion() throws {
        let json = try JSONSerialization.jsonObject(with: Self.encode(Self.sweep)) as? [String: Any]
        #expect(json?["schema"] as? Int == Sweep.schemaVersion)
        let sample = try JSONSerialization.jsonObject(with: Self.encode(Self.latencySamples[0])) as? [String: Any]
        #expect(sample?["schema"] as? Int == LatencySample.schemaVersion)
    }

    @Test func aNewerSchemaIsRefusedByName() throws {
        let future = #"{"schema": 99, "atSeconds": 1}"#
        #expect {
            try Self.decode(Sweep.self, Data(future.utf8))
        } throws: { error in
            (error as? StoredSchemaError)?.description.contains("schema version 99") == true
        }
    }

    /// Fields added after a record was written default (below's rule), so a sparse old record decodes.
    @Test func missingNewerFieldsTakeTheirDefaults() throws {
        let sparse = #"""
            {"atSeconds": 10, "workloads": [{"name": "w", "kind": "cgroup"}],
             "vms": [{"name": "v", "source": "qmp"}]}
            """#
        let sweep = try Self.decode(Sweep.self, Data(sparse.utf8))
        #expect(sweep.atSeconds == 10 && sweep.host == HostSample() && sweep.vmWorkloads.isEmpty)
        #expect(sweep.workloads == [WorkloadSample(name: "w", kind: .cgroup, cgroup: "", cgroupVersion: 0)])
        #expect(sweep.vms == [VMSample(name: "v", source: .qmp, up: false)])
        let sample = try Self.decode(LatencySample.self, Data(#"{"group": "g", "server": "s", "source": "probe", "atSeconds": 1}"#.utf8))
        #expect(sample == LatencySample(group: "g", server: "s", source: .probe, seconds: 0, atSeconds: 1))
    }

    /// A renamed field keeps reading from its old name.
    @Test func renamedFieldsDecodeFromTheirOldName() throws {
        struct Renamed: Decodable {
            enum CodingKeys: String, CodingKey { case availableBytes, memAvailable }
            var availableBytes: UInt64
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                self.availableBytes = try c.decode(UInt64.self, forKey: .availableBytes, oldKeys: [.memAvailable])
            }
        }
        #expect(try JSONDecoder().decode(Renamed.self, from: Data(#"{"memAvailable": 7}"#.utf8)).availableBytes == 7)
        #expect(try JSONDecoder().decode(Renamed.self, from: Data(#"{"availableBytes": 8, "memAvailable": 7}"#.utf8)).availableBytes == 8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Renamed.self, from: Data("{}".utf8)) }
    }

    /// The advice resumes from a saved state: a restart keeps the workloads' peaks, the knee and the history.
    @Test func advisorResumesFromItsSavedState() throws {
        let saved = try Self.decode(MinimumHostMemoryAdvisor.State.self, Self.encode(Self.advisorState))
        var resumed = MinimumHostMemoryAdvisor(state: saved)
        let before = try #require(MinimumHostMemoryAdvisor(state: Self.advisorState).recommendation())
        var calm = Self.sweep
        calm.atSeconds += 200
        calm.host.meminfoBytes["MemAvailable"] = 6 << 30
        calm.workloads = calm.workloads.map { var w = $0; w.usageBytes = 10 << 20; return w }
        resumed.record(calm)
        let advice = try #require(resumed.recommendation())
        #expect(advice.observedSeconds == 200)
        #expect(advice.demandBytes >= before.demandBytes, "a restart keeps the peaks it learned")
        #expect(advice.knee.unsafe?.source == "calibration" && advice.calibratedAtSeconds == 1_767_225_500)
    }
}
