import Detectors
@testable import Parsers
import Foundation
import NIOPosix
import Testing

@testable import InterferenceWatch

/// The built daemon with VM collection on: a real QEMU over QMP, libvirt's `test:///default`, a dead socket.
///
/// Polling loops are bounded (a slow TCG guest only makes them take longer); nothing asserts on timing.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct VMDaemonTests {
    static let mebibyte: UInt64 = 1 << 20

    /// Scrapes until `done` holds or `seconds` pass; returns the last scrape.
    static func scrape(_ daemon: DaemonProcess, forUpTo seconds: Double,
                       until done: (Exposition) -> Bool) async throws -> Exposition {
        var metrics = Exposition(text: try await daemon.get("/metrics").body)
        _ = try await eventually(within: seconds, every: .milliseconds(500)) {
            metrics = Exposition(text: try await daemon.get("/metrics").body)
            return done(metrics)
        }
        return metrics
    }

    /// The `workload` label of `vm_up` for `vm`, if any.
    static func workloadLabel(of vm: String, in metrics: Exposition) -> String? {
        guard let line = metrics.lines("interferencewatch_vm_up").first(where: { $0.contains("vm=\"\(vm)\"") }),
              let range = line.range(of: "workload=\"") else { return nil }
        let rest = line[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    @Test(.enabled(if: QEMULab.qemuAvailable, "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"))
    func followsABalloonShrinkOfARealQEMU() async throws {
        let lab = try await QEMULab.start(memoryMiB: 256)
        defer { lab.stop() }
        print("VM daemon test: QEMU \(lab.name) pid \(lab.pid) accel=\(lab.accelerator) booted in \(lab.bootSeconds) s")

        // Socket A through a config glob (B does not match: the test needs it), plus a dead socket on the flag.
        let tree = try TemporaryTree()
        try tree.write("config.yaml", """
            qmp:
              sockets: ["\(lab.directory.path)/a*.qmp"]
              guest_stats_interval: 1
            """)
        let dead = tree.root + "/gone/dead.sock"
        let daemon = try await DaemonProcess(arguments: ["--config", tree.root + "/config.yaml", "--qmp.socket", dead,
                                                   "--collection.interval", "1s"])
        defer { daemon.stop() }

        let vm = ["vm": lab.name]
        let up = try await Self.scrape(daemon, forUpTo: 60) { $0.value("interferencewatch_vm_up", vm) == 1 }
        #expect(up.value("interferencewatch_vm_up", vm) == 1, "\(daemon.log)")
        #expect(up.value("interferencewatch_vm_balloon_actual_bytes", vm) == Double(256 * Self.mebibyte))
        #expect(up.value("interferencewatch_vm_memory_configured_bytes", vm) == Double(256 * Self.mebibyte))

        // Another tool shrinks the guest to 192 MiB through the second socket.
        let other = try await QMPConnection.connect(socketPath: lab.socketB,
                                                    eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                                                    onEvent: { _ in })
        defer { other.close() }
        try await other.execute("balloon", arguments: ["value": .unsigned(192 * Self.mebibyte)])

        let started = Date()
        let metrics = try await Self.scrape(daemon, forUpTo: 90) { metrics in
            metrics.value("interferencewatch_vm_balloon_actual_bytes", vm) == Double(192 * Self.mebibyte)
                && (metrics.value("interferencewatch_vm_balloon_changes_total", vm) ?? 0) >= 1
                && (metrics.value("interferencewatch_vm_guest_memory_total_bytes", vm) ?? .infinity)
                    < Double(192 * Self.mebibyte)
        }
        print("VM daemon test: shrink visible in /metrics after \(Date().timeIntervalSince(started)) s")
        for line in metrics.text.split(separator: "\n") where line.contains("vm=\"\(lab.name)\"")
            || line.contains("workload=\"\(lab.name)\"") {
            print("VM daemon test: \(line)")
        }
        #expect(metrics.value("interferencewatch_vm_up", vm) == 1)
        #expect(metrics.value("interferencewatch_vm_balloon_actual_bytes", vm) == Double(192 * Self.mebibyte))
        #expect((metrics.value("interferencewatch_vm_balloon_changes_total", vm) ?? 0) >= 1)
        #expect(metrics.value("interferencewatch_vm_events_total", vm.merging(["event": "BALLOON_CHANGE"]) { $1 })
                == metrics.value("interferencewatch_vm_balloon_changes_total", vm))
        #expect(metrics.value("interferencewatch_vm_last_balloon_change_timestamp_seconds", vm) != nil)
        // Guest stats, since the daemon turned polling on (guest_stats_interval: 1).
        let total = try #require(metrics.value("interferencewatch_vm_guest_memory_total_bytes", vm))
        #expect(total < Double(192 * Self.mebibyte) && total > Double(64 * Self.mebibyte), "\(total)")
        #expect(metrics.value("interferencewatch_vm_guest_memory_available_bytes", vm) != nil)
        #expect(metrics.value("interferencewatch_vm_guest_memory_free_bytes", vm) != nil)
        #expect(metrics.value("interferencewatch_vm_guest_minor_faults_total", vm) != nil)
        let age = try #require(metrics.value("interferencewatch_vm_guest_stats_age_seconds", vm))
        #expect(age >= 0 && age < 3600, "\(age)")
        // Joined to its QEMU process: RSS from the process, and a workload that exists among the workload series.
        #expect((metrics.value("interferencewatch_vm_rss_bytes", vm) ?? 0) > 0)
        let workload = try #require(Self.workloadLabel(of: lab.name, in: metrics), "vm_up has no workload label")
        #expect(metrics.value("interferencewatch_workload_memory_usage_bytes", ["workload": workload]) != nil)
        print("VM daemon test: \(lab.name) joined workload \"\(workload)\"")

        // The host-RAM advice counts what the balloon holds back from the guest (this daemon watches only this VM).
        #expect(metrics.value("interferencewatch_host_memory_demand_bytes", ["part": "ballooned"])
                == Double(64 * Self.mebibyte))

        // The dead socket: down, under its file name, and the scrape still answered.
        #expect(metrics.value("interferencewatch_vm_up", ["vm": "dead"]) == 0)
        let lint = try GoldenMetricsTests.promtool(["check", "metrics"], input: metrics.text)
        #expect(lint.status == 0, "promtool check metrics: \(lint.output)")

        // QEMU killed and its socket removed (the lab directory goes): a globbed VM that went away is dropped and
        // counted as vanished, not reported as failing; the named dead socket stays; the daemon stops cleanly.
        let vanishedBefore = metrics.value("interferencewatch_collector_vanished_total", ["collector": "vm"]) ?? -1
        #expect(vanishedBefore == 0)
        lab.stop()
        let gone = try await Self.scrape(daemon, forUpTo: 30) { $0.value("interferencewatch_vm_up", vm) == nil }
        #expect(gone.value("interferencewatch_vm_up", vm) == nil)
        #expect(gone.value("interferencewatch_collector_vanished_total", ["collector": "vm"]) == 1)
        #expect(gone.value("interferencewatch_vm_up", ["vm": "dead"]) == 0)
        let warned = daemon.log.split(separator: "\n").filter {
            $0.contains("msg=\"QMP poll failed\"") && $0.contains("qmp.socket=\(lab.directory.path)")
        }
        #expect(warned.isEmpty, "\(warned)")
        #expect(daemon.stop() == 0)
    }

    @Test(.enabled(if: VirshRunner().isAvailable, "virsh not installed (apt-get install libvirt-clients)"))
    func readsLibvirtTestDriver() async throws {
        let daemon = try await DaemonProcess(arguments: ["--libvirt.uri", "test:///default", "--collection.interval", "1s"])
        defer { daemon.stop() }
        let vm = ["vm": "test"]
        let metrics = try await Self.scrape(daemon, forUpTo: 30) {
            $0.value("interferencewatch_vm_up", vm) == 1
                && $0.value("interferencewatch_vm_balloon_actual_bytes", vm) != nil
        }
        #expect(metrics.value("interferencewatch_vm_up", vm) == 1, "\(daemon.log)")
        let actual = try #require(metrics.value("interferencewatch_vm_balloon_actual_bytes", vm))
        print("VM daemon test: libvirt test:///default balloon actual \(actual) bytes")
        #expect(actual > 0)
        #expect(metrics.value("interferencewatch_vm_balloon_target_bytes", vm) != nil)
        #expect(metrics.value("interferencewatch_vm_memory_configured_bytes", vm) == Double(8_388_608 * 1024))
        let lint = try GoldenMetricsTests.promtool(["check", "metrics"], input: metrics.text)
        #expect(lint.status == 0, "promtool check metrics: \(lint.output)")
        #expect(daemon.stop() == 0)
    }

    @Test func deadSocketIsDownAndTheScrapeAnswers() async throws {
        let daemon = try await DaemonProcess(arguments: ["--qmp.socket", "/nonexistent/iw-test/dead.sock",
                                                   "--collection.interval", "1s"])
        defer { daemon.stop() }
        // The daemon reads every VM once before its first sweep, so the very first scrape must carry the dead VM.
        let metrics = Exposition(text: try await daemon.get("/metrics").body)
        #expect(metrics.value("interferencewatch_vm_up", ["vm": "dead"]) == 0)
        #expect(metrics.value("interferencewatch_collector_success", ["collector": "vm"]) == 1)
        #expect(metrics.value("interferencewatch_host_memory_total_bytes") != nil)
        #expect(daemon.stop() == 0)
    }

    @Test func noVMSourceNoVMCollector() async throws {
        let daemon = try await DaemonProcess(arguments: ["--qmp.socket", "/nonexistent/x.sock", "--no-collector.vm"])
        defer { daemon.stop() }
        let metrics = Exposition(text: try await daemon.get("/metrics").body)
        #expect(metrics.value("interferencewatch_collector_success", ["collector": "vm"]) == nil)
        #expect(metrics.lines("interferencewatch_vm_up").isEmpty)
        #expect(daemon.stop() == 0)
    }
}
