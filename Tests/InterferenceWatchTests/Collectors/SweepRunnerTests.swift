import Detectors
import InMemoryLogging
import Logging
import TestKit
import Testing

@testable import InterferenceWatch
@testable import Parsers

/// A collector scripted by the test.
private final class ScriptedCollector: Collector {
    let name: String
    var error: (any Error)?
    var issues: [ParseIssue] = []
    var runs = 0

    init(name: String) {
        self.name = name
    }

    func collect(into snapshot: inout CollectedSweep, issues: inout [ParseIssue]) throws {
        self.runs += 1
        issues += self.issues
        if let error { throw error }
        snapshot.host.vmstat["runs_\(self.name)"] = UInt64(self.runs)
    }
}

struct SweepRunnerTests {
    /// Against sorting by the label tuple, on shuffled lists with ties in cgroup and type (process groups have no
    /// cgroup), and on an already sorted one.
    @Test func workloadsEndInLabelOrder() {
        let kinds: [WorkloadKind] = [.container, .process, .service, .vm, .cgroup]
        for seed in UInt64(1)...50 {
            var random = TestRandom(seed: seed)
            var workloads = (0..<Int(random.next() % 40)).map { _ in
                let kind = kinds[Int(random.next() % UInt64(kinds.count))]
                return WorkloadSample(name: "w\(random.next() % 5)", kind: kind,
                                      cgroup: kind == .process ? "" : "/s.slice/c\(random.next() % 8)", cgroupVersion: 1)
            }
            let expected = workloads.sorted { ($0.cgroup, $0.kind.rawValue, $0.name) < ($1.cgroup, $1.kind.rawValue, $1.name) }
            SweepRunner.sortInLabelOrder(&workloads)
            #expect(workloads.map { [$0.cgroup, $0.kind.rawValue, $0.name] } == expected.map { [$0.cgroup, $0.kind.rawValue, $0.name] },
                    "seed \(seed)")
            let sorted = workloads
            SweepRunner.sortInLabelOrder(&workloads)
            #expect(workloads == sorted, "seed \(seed): sorting a sorted list changed it")
        }
    }

    @Test func aFailingCollectorIsCountedAndTheOthersStillRun() {
        let logs = InMemoryLogHandler()
        let failing = ScriptedCollector(name: "bad")
        failing.error = CollectorError.failed("boom")
        let good = ScriptedCollector(name: "good")
        let runner = SweepRunner(collectors: [failing, good], reader: CachedFileReader(), logger: Logger(label: "t", factory: { _ in logs }))
        let first = runner.sweep(wallClockSeconds: 1)
        let second = runner.sweep(wallClockSeconds: 2)
        #expect(second.host.vmstat["runs_good"] == 2)
        #expect(first.collectors.map(\.success) == [false, true])
        #expect(second.collectors[0].errorsTotal == 2)
        // Logged once, not every sweep, while the failure stays the same.
        #expect(logs.entries.filter { $0.level == .error }.count == 1)
    }

    @Test func malformedLinesMarkTheSweepUncleanAndAreLoggedOnce() {
        let logs = InMemoryLogHandler()
        let odd = ScriptedCollector(name: "odd")
        odd.issues = [ParseIssue(path: "/proc/vmstat", line: 3, message: "bad")]
        let runner = SweepRunner(collectors: [odd], reader: CachedFileReader(), logger: Logger(label: "t", factory: { _ in logs }))
        let first = runner.sweep(wallClockSeconds: 1)
        _ = runner.sweep(wallClockSeconds: 2)
        #expect(first.collectors[0].success == false)
        #expect(first.host.vmstat["runs_odd"] == 1)  // the data is kept
        let warnings = logs.entries.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.metadata["file.path"] == "/proc/vmstat")
        #expect(warnings.first?.metadata["file.line"] == "3")
    }

    @Test func noDataIsNotAFailure() {
        let absent = ScriptedCollector(name: "absent")
        absent.error = CollectorError.noData("nothing here")
        let runner = SweepRunner(collectors: [absent], reader: CachedFileReader(), logger: Logger(label: "t"))
        #expect(runner.sweep(wallClockSeconds: 1).collectors[0].success == true)
    }
}
