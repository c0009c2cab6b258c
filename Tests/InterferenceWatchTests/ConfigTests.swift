import Detectors
@testable import Parsers
import Testing

@testable import InterferenceWatch

struct ConfigTests {
    @Test func parsesCgroupAndProcessWorkloads() throws {
        let config = try DaemonConfig.parse("""
            workloads:
              - {name: s1, cgroup: /lab/s1}
              - name: api
                process: {command: node, cmdline: server.js, pids: [10, 11]}
            """, file: "c.yaml")
        #expect(config.workloads == [
            WorkloadRule(name: "s1", selector: .cgroup("/lab/s1")),
            WorkloadRule(name: "api", selector: .process(ProcessMatcher(pids: [10, 11], command: "node", commandLineContains: "server.js"))),
        ])
    }

    @Test func emptyFileIsAnEmptyConfig() throws {
        #expect(try DaemonConfig.parse("", file: "c.yaml") == DaemonConfig())
    }

    @Test(arguments: [
        ("workloads:\n  - {name: s1, cgroupp: /x}\n", 2, "workloads[0].cgroupp: unknown key \"cgroupp\""),
        ("workloads:\n  - {name: s1}\n", 2, "workloads[0]: give either \"cgroup\" or \"process\""),
        ("workloads:\n  - {name: a, cgroup: /a}\n  - {name: a, cgroup: /b}\n", 3, "workload name \"a\" already used on line 2"),
        ("workloads:\n  - {name: p, process: {pid: -3}}\n", 2, "workloads[0].process.pid: -3 is outside"),
        ("workloadz: []\n", 1, "unknown key \"workloadz\""),
        ("workloads: [\n", 2, "invalid YAML"),
        ("workloads: 5\n", 1, "workloads: expected a list"),
    ])
    func badLinesNameFileAndLine(_ text: String, _ line: Int, _ fragment: String) {
        do {
            _ = try DaemonConfig.parse(text, file: "/etc/iw.yaml")
            Issue.record("expected an error for \(text)")
        } catch let error as ConfigError {
            #expect(error.file == "/etc/iw.yaml")
            #expect(error.line == line, "\(error)")
            #expect(error.description.contains(fragment), "\(error)")
            #expect(error.description.hasPrefix("/etc/iw.yaml:\(line): "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(arguments: [("500ms", 0.5), ("2s", 2.0), ("1m30s", 90.0), ("1h", 3600.0), ("15", 15.0)])
    func durations(_ text: String, _ seconds: Double) {
        #expect(DurationParser.seconds(text) == seconds)
    }

    @Test(arguments: ["", "s", "2x", "1.2.3s", "-"])
    func badDurations(_ text: String) {
        #expect(DurationParser.seconds(text) == nil)
    }
}
