import Detectors
import Parsers

/// Lists processes with libproc2 and builds the config file's process-group workloads from them.
///
/// Serves servers run as plain processes (the study's "bare host" model), and gives ``VMJoin`` the QEMU processes of VMs.
/// Individual processes are not exported (unbounded series); process groups are, as `type="process"` workloads.
final class ProcessCollector: Collector {
    let name = "process"
    private let rules: [(name: String, matcher: ProcessMatcher)]
    private let table: ProcessTable?
    private let unavailableReason: String?

    init(paths: CollectorPaths, rules: [(name: String, matcher: ProcessMatcher)]) {
        self.rules = rules
        if !paths.isLiveProcfs {
            self.table = nil
            self.unavailableReason = "libproc2 reads only the live /proc, not --path.procfs=\(paths.procfs)"
        } else {
            do {
                self.table = try ProcessTable()
                self.unavailableReason = nil
            } catch {
                self.table = nil
                self.unavailableReason = "\(error)"
            }
        }
    }

    func collect(into snapshot: inout CollectedSweep, issues: inout [ParseIssue]) throws {
        guard let table else { throw CollectorError.noData(self.unavailableReason ?? "no process table") }
        let processes = try table.processes()
        snapshot.processes = processes
        for rule in self.rules {
            let members = processes.filter(rule.matcher.matches)
            // A group whose processes are all gone still appears, with zeros: its server is down, not forgotten.
            var sample = WorkloadSample(name: rule.name, kind: .process, cgroup: "", cgroupVersion: 0)
            sample.usageBytes = members.reduce(0) { $0 + $1.rssBytes }
            sample.swapBytes = members.reduce(0) { $0 + $1.swapBytes }
            sample.stat[.pgmajfault] = members.reduce(0) { $0 + $1.majorFaults }
            snapshot.workloads.append(sample)
        }
    }
}
