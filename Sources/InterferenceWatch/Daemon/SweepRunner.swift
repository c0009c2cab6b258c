import Glibc
import Detectors
import Logging
import Parsers

/// Runs every enabled collector once per sweep and assembles the snapshot.
///
/// Owns the collectors (and through them the cached descriptors), so it is used from one task at a time. A failing
/// collector is logged and counted, never fatal; malformed lines are logged once per distinct problem, so a
/// persistently odd file does not flood the log every interval.
final class SweepRunner {
    private var collectors: [any Collector]
    private let reader: CachedFileReader
    private let logger: Logger
    private var errorsTotal: [String: UInt64] = [:]
    private var vanishedTotal: [String: UInt64] = [:]
    private var lastIssues: [String: Set<ParseIssue>] = [:]
    private var lastFailure: [String: String] = [:]

    init(collectors: [any Collector], reader: CachedFileReader, logger: Logger) {
        self.collectors = collectors
        self.reader = reader
        self.logger = logger
    }

    var collectorNames: [String] { self.collectors.map(\.name) }

    /// Takes the collectors built from a reloaded config (on this runner's file reader); error totals carry over by
    /// collector name.
    func replaceCollectors(_ make: (CachedFileReader) -> [any Collector]) {
        self.collectors = make(self.reader)
    }

    /// - Parameter uptimeSeconds: the boot clock at the start (``Sweep/uptimeSeconds``).
    func sweep(wallClockSeconds: Double, uptimeSeconds: Double? = nil) -> CollectedSweep {
        var snapshot = CollectedSweep()
        snapshot.atSeconds = wallClockSeconds
        snapshot.sweep.uptimeSeconds = uptimeSeconds
        self.reader.beginSweep()
        let clock = ContinuousClock()
        for collector in self.collectors {
            let start = clock.now
            var issues: [ParseIssue] = []
            var success = true
            do {
                try collector.collect(into: &snapshot, issues: &issues)
                self.lastFailure[collector.name] = nil
            } catch CollectorError.noData(let why) {
                // Absent subsystems are normal (no libproc2 under a fixture root, no cgroup tree): not a failure.
                if self.lastFailure[collector.name] != why {
                    self.logger.debug("collector has no data", metadata: ["collector.name": "\(collector.name)", "reason": "\(why)"])
                    self.lastFailure[collector.name] = why
                }
            } catch {
                success = false
                self.errorsTotal[collector.name, default: 0] += 1
                let message = "\(error)"
                if self.lastFailure[collector.name] != message {
                    self.logger.error("collector failed", metadata: ["collector.name": "\(collector.name)", "error": "\(message)"])
                    self.lastFailure[collector.name] = message
                }
            }
            if !issues.isEmpty {
                success = false
                self.errorsTotal[collector.name, default: 0] += UInt64(issues.count)
                let fresh = Set(issues).subtracting(self.lastIssues[collector.name] ?? [])
                for issue in fresh.sorted(by: { $0.description < $1.description }) {
                    self.logger.warning("malformed input, kept the rest of the file", metadata: [
                        "collector.name": "\(collector.name)", "file.path": "\(issue.path)", "file.line": "\(issue.line)",
                        "problem": "\(issue.message)",
                    ])
                }
            }
            self.lastIssues[collector.name] = Set(issues)
            // Kept here, like the error totals, so they carry over when a reload replaces the collectors.
            if let vanished = snapshot.vanished[collector.name] { self.vanishedTotal[collector.name, default: 0] += vanished }
            let elapsed = clock.now - start
            snapshot.collectors.append(CollectorStatus(
                name: collector.name,
                durationSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                success: success, errorsTotal: self.errorsTotal[collector.name, default: 0],
                vanishedTotal: self.vanishedTotal[collector.name]))
        }
        self.reader.endSweep()
        // Label order (cgroup, type, workload): the exposition then needs no sort at scrape time.
        Self.sortInLabelOrder(&snapshot.workloads)
        return snapshot
    }

    /// Sorts by (cgroup, type, workload). The discovery walk lists cgroups in name order, so the list is usually
    /// sorted already and one pass checks it; otherwise indexes are sorted and the samples moved once, since
    /// sorting the samples themselves copied each one (and retained its strings) at every comparison.
    static func sortInLabelOrder(_ workloads: inout [WorkloadSample]) {
        func less(_ a: Int, _ b: Int) -> Bool {
            if workloads[a].cgroup != workloads[b].cgroup { return workloads[a].cgroup < workloads[b].cgroup }
            if workloads[a].kind != workloads[b].kind { return workloads[a].kind.rawValue < workloads[b].kind.rawValue }
            return workloads[a].name < workloads[b].name
        }
        guard workloads.count > 1, (1..<workloads.count).contains(where: { less($0, $0 - 1) }) else { return }
        let order = workloads.indices.sorted { less($0, $1) }
        workloads = order.map { workloads[$0] }
    }
}
