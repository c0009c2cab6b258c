import Detectors
import Foundation
import GRDB
import Logging
import TestKit

@testable import InterferenceWatch

/// A fixed stored history for report tests: the study's shape in 16 minutes of 1 s sweeps. Four servers in group
/// `lab` (workloads `lab/s1`..`lab/s4`), s2 in a VM `vm2` whose balloon is inflated at minute 6 and which then
/// swaps and slows down 1.8x until minute 11; a neighbour `batch` grows by 1 GiB at minute 5. Detection runs over
/// it as the daemon would, so the episode, verdicts and causes in the file are the real detector's.
enum ReportHistory {
    static let start = 1_767_225_600.0
    static let group = SweepDetection.Group(name: "lab", servers: ["s1", "s2", "s3", "s4"],
                                            workloadOfServer: ["s1": "lab/s1", "s2": "lab/s2", "s3": "lab/s3", "s4": "lab/s4"])

    /// Writes the history into `directory` and returns the steps detection produced.
    @discardableResult
    static func write(into directory: String, minutes: Int = 16) throws -> [SweepDetection.Step] {
        let database = try HistoryDatabase(directory: directory)
        let writer = HistoryWriter(database: database, retention: HistoryRetention(maxAgeSeconds: 1e12), logger: Logger(label: "t"))
        writer.enqueue(.run(DetectionRun(startedAtSeconds: Self.start - 1, windowSeconds: 30, pageSizeBytes: 4096,
                                         groups: [Self.group], baselines: [:])))
        var detection = SweepDetection(groups: [Self.group], windowSeconds: 30, pageSizeBytes: 4096)
        var log = LatencyLog()
        var rng = TestRandom(seed: 20_261_201)
        var steps: [SweepDetection.Step] = []
        var swapped: UInt64 = 0, faults: UInt64 = 0, pswpin: UInt64 = 0, pswpout: UInt64 = 0
        for second in 0..<(minutes * 60) {
            let t = Self.start + Double(second)
            let minute = second / 60
            let squeezed = minute >= 6 && minute < 11
            if squeezed {
                swapped += 4 << 20
                faults += 900
                pswpin += 800
                pswpout += 1000
            }
            var workloads = (1...4).map { index -> WorkloadSample in
                let mine = index == 2
                return WorkloadSample(name: "lab/s\(index)", kind: .cgroup, cgroup: "/lab/s\(index)", cgroupVersion: 2,
                                      usageBytes: (mine && squeezed ? 48 : 96) << 20, swapBytes: mine ? swapped : 0,
                                      stat: [.pgmajfault: mine ? faults : 10, .anon: 90 << 20],
                                      pressure: PSIStats(some: PSILine(avg10Percent: mine && squeezed ? 35 : 0.1, avg60Percent: 0,
                                                                       avg300Percent: 0, totalMicroseconds: mine ? faults * 1000 : 0),
                                                         full: nil))
            }
            workloads.append(WorkloadSample(name: "batch", kind: .service, cgroup: "/system.slice/batch.service", cgroupVersion: 2,
                                            usageBytes: minute >= 5 ? (1536 << 20) : (512 << 20)))
            let host = HostSample(meminfoBytes: ["MemTotal": 8 << 30, "MemAvailable": squeezed ? 200 << 20 : 2 << 30,
                                                 "SwapTotal": 2 << 30, "SwapFree": (2 << 30) - swapped, "SwapCached": 0],
                                  vmstat: ["pswpin": pswpin, "pswpout": pswpout, "pgmajfault": faults])
            let vm = VMSample(name: "vm2", source: .qmp, up: true, configuredBytes: 1 << 30,
                              balloonActualBytes: squeezed ? 640 << 20 : 1 << 30, balloonChanges: minute >= 6 ? 1 : 0)
            let sweep = Sweep(atSeconds: t, host: host, workloads: workloads, vms: [vm], vmWorkloads: ["vm2": "lab/s2"])
            writer.enqueue(.sweep(sweep))
            if let step = detection.ingest(sweep, samples: { log.samples(group: $0, from: $1, to: $2) }) {
                steps.append(step)
                writer.enqueue(.step(step))
            }
            // One round a second: every server answers, s2 slower while squeezed.
            var round: [LatencySample] = []
            for server in 1...4 {
                let base = 0.9 + rng.uniform(0...0.2)
                let seconds = server == 2 && squeezed ? base * 1.8 : base
                round.append(LatencySample(group: "lab", server: "s\(server)", source: .probe, seconds: seconds + 0.01,
                                           serverSeconds: seconds, atSeconds: t + 0.1, recordedAtSeconds: t + 0.5))
            }
            for sample in round { log.append(sample) }
            writer.enqueue(.samples(round))
        }
        try writer.flushNow()
        try database.pool.close()
        return steps
    }
}
