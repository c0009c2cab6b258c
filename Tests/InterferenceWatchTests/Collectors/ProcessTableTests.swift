import Detectors
import Foundation
import Testing

@testable import InterferenceWatch
@testable import Parsers

/// libproc2 against the live /proc: a process this test starts must be found with its command line, memory and cgroup.
struct ProcessTableTests {
    private func startSleeper(_ marker: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["300", marker]  // GNU sleep sums its operands: the marker only makes the command line unique
        try process.run()
        // Between fork and exec the child has no command line yet: wait (bounded) until the kernel shows sleep's.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline,
              !((try? String(contentsOfFile: "/proc/\(process.processIdentifier)/cmdline", encoding: .utf8)) ?? "").contains(marker) {
            Thread.sleep(forTimeInterval: 0.01)
        }
        return process
    }

    /// SIGKILL: children spawned from test worker threads inherit a mask that blocks SIGTERM.
    private func stop(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test func findsAStartedProcessWithCommandLineAndCgroup() throws {
        let marker = "\(Int.random(in: 1000...9999))"
        let sleeper = try self.startSleeper(marker)
        defer { self.stop(sleeper) }
        let processes = try ProcessTable().processes()
        let found = try #require(processes.first { $0.pid == sleeper.processIdentifier })
        #expect(found.command == "sleep")
        #expect(found.commandLine == ["/bin/sleep", "300", marker])
        #expect(found.rssBytes > 0)
        #expect(found.rssBytes % 1024 == 0)  // KiB from libproc2, converted to bytes
        let own = try String(contentsOfFile: "/proc/\(sleeper.processIdentifier)/cgroup", encoding: .utf8)
        let expected = ProcessSample.cgroupPaths(own.split(separator: "\n").map(String.init))
        #expect(found.cgroupV1Memory == expected.v1Memory)
        #expect(found.cgroupV2 == expected.v2)
        #expect(processes.contains { $0.pid == getpid() })
    }

    @Test func processGroupWorkloadSumsItsMembers() throws {
        let marker = "\(Int.random(in: 1000...9999))"
        let first = try self.startSleeper(marker), second = try self.startSleeper(marker)
        defer { for p in [first, second] { self.stop(p) } }
        let collector = ProcessCollector(paths: CollectorPaths(), rules: [
            ("sleepers", ProcessMatcher(command: "sleep", commandLineContains: " \(marker)")),
            ("nobody", ProcessMatcher(pids: [Int32.max])),
        ])
        var snapshot = CollectedSweep()
        var issues: [ParseIssue] = []
        try collector.collect(into: &snapshot, issues: &issues)
        let sleepers = try #require(snapshot.workloads.first { $0.name == "sleepers" })
        let members = snapshot.processes.filter { [first.processIdentifier, second.processIdentifier].contains($0.pid) }
        #expect(members.count == 2)
        #expect(sleepers.kind == .process)
        #expect(sleepers.usageBytes == members.reduce(0) { $0 + $1.rssBytes })
        // A group with no live member still appears, with zero usage: its server is down, not forgotten.
        #expect(snapshot.workloads.first { $0.name == "nobody" }?.usageBytes == 0)
    }

    @Test func fixtureRootsDisableTheProcessCollector() {
        let collector = ProcessCollector(paths: CollectorPaths(procfs: "/somewhere/proc"), rules: [])
        var snapshot = CollectedSweep()
        var issues: [ParseIssue] = []
        #expect(throws: CollectorError.noData("libproc2 reads only the live /proc, not --path.procfs=/somewhere/proc")) {
            try collector.collect(into: &snapshot, issues: &issues)
        }
    }

    @Test(arguments: [
        (["12:memory:/docker/abc", "0::/system.slice/docker.service"], "/docker/abc", "/system.slice/docker.service"),
        (["4:cpu,cpuacct:/x", "9:memory,hugetlb:/lab/s1"], "/lab/s1", nil),
        (["0::/"], nil, "/"),
    ] as [([String], String?, String?)])
    func cgroupLines(_ lines: [String], _ v1: String?, _ v2: String?) {
        let parsed = ProcessSample.cgroupPaths(lines)
        #expect(parsed.v1Memory == v1)
        #expect(parsed.v2 == v2)
    }
}
