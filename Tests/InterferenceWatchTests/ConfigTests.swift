import Detectors
@testable import Parsers
import ArgumentParser
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

    @Test func adviceSectionGivesScopeAndBalloonFloors() throws {
        let config = try DaemonConfig.parse("""
            advice:
              capacity_cgroup: /lab.slice/
              balloon_floor: 0.5
              balloon_floors: {vm1: 768MiB, vm2: 1GiB}
            """, file: "c.yaml")
        #expect(config.advice.capacityCgroup == "/lab.slice" && config.advice.balloonFloorFraction == 0.5)
        #expect(config.advice.balloonFloorBytes == ["vm1": 768 << 20, "vm2": 1 << 30])
        // The flag wins over the file.
        var options = try CollectionOptions.parse(["--capacity.cgroup", "/other"])
        let tree = try TemporaryTree()
        try tree.write("c.yaml", "advice:\n  capacity_cgroup: /lab.slice\n")
        options.config = tree.root + "/c.yaml"
        #expect(try options.loadConfig().advice.capacityCgroup == "/other")
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
        ("advice:\n  balloon_floor: 1.5\n", 2, "advice.balloon_floor: balloon_floor: expected a fraction from 0 to 1"),
        ("advice:\n  balloon_floors: {vm1: lots}\n", 2, "advice.balloon_floors.vm1: expected a size like 768MiB"),
        ("advice:\n  capacity: /lab\n", 2, "advice.capacity: unknown key"),
        // Values past Int64 once trapped in a conversion; each is an error on its line (Fuzz/Config regressions).
        ("advice:\n  balloon_floors: {vm1: \"99999999999999999999\"}\n", 2, "expected a size like 768MiB"),
        ("alerts:\n  resend_interval: 1e18\n", 2, "alerts.resend_interval: duration \"1e18\" is too long"),
        ("groups:\n  - name: a\n    probe: {interval: 1e300}\n    servers: [{name: s1, url: \"http://x\"}, {name: s2, url: \"http://y\"}]\n",
         3, "groups[0].probe.interval: duration \"1e300\" is too long"),
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
