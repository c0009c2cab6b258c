@testable import Parsers
import Detectors
import Testing

@testable import InterferenceWatch

struct VMRendererTests {
    static let mebibyte: UInt64 = 1 << 20

    static func render(_ snapshot: CollectedSweep) -> Exposition {
        let renderer = SweepRenderer(version: "test", pageSizeBytes: 4096)
        return Exposition(text: String(decoding: renderer.render(snapshot), as: UTF8.self))
    }

    static func snapshot() -> CollectedSweep {
        var snapshot = CollectedSweep()
        snapshot.atSeconds = 1_700_000_010
        snapshot.processes = [ProcessSample(pid: 42, command: "qemu-system-x86", commandLine: ["qemu-system-x86_64"],
                                            cgroupV2: "/", cgroupV1Memory: nil, rssBytes: 300 * mebibyte,
                                            swapBytes: 0, majorFaults: 0)]
        snapshot.workloads = [WorkloadSample(name: "lab", kind: .vm, cgroup: "/", cgroupVersion: 0,
                                             usageBytes: 300 * mebibyte)]
        let vms = [
            VMSample(name: "lab", source: .qmp, up: true, status: "running", configuredBytes: 256 * mebibyte,
                     balloonActualBytes: 192 * mebibyte, maximumBytes: 256 * mebibyte,
                     // The guest does not report swap: no swap series.
                     guestStats: .init(freeBytes: 100 * mebibyte, availableBytes: 150 * mebibyte,
                                       totalBytes: 180 * mebibyte, diskCachesBytes: 5 * mebibyte, majorFaults: 9,
                                       minorFaults: 1000, lastUpdateSeconds: 1_700_000_007),
                     rssBytes: 300 * mebibyte, eventCounts: ["BALLOON_CHANGE": 3, "RESUME": 1], balloonChanges: 3,
                     lastBalloonChangeSeconds: 1_700_000_005.5, pid: 42),
            VMSample(name: "ghost", source: .qmp, up: false, error: "connect failed"),
            VMSample(name: "test", source: .libvirt, up: true, configuredBytes: 8 << 30, balloonActualBytes: 2 << 30,
                     balloonTargetBytes: 2 << 30, maximumBytes: 8 << 30),
        ]
        // The join sets each VM's workload, as the VM collector does every sweep; the renderer only reads it.
        VMJoin.join(qmp: vms.filter { $0.source == .qmp }.map { VMJoin.Reading($0) },
                    libvirt: vms.filter { $0.source == .libvirt }, into: &snapshot)
        return snapshot
    }

    @Test func rendersJoinedAndUnjoinedVMs() {
        let metrics = Self.render(Self.snapshot())
        let lab = ["vm": "lab", "workload": "lab"]
        #expect(metrics.value("interferencewatch_vm_up", lab) == 1)
        #expect(metrics.value("interferencewatch_vm_balloon_actual_bytes", lab) == Double(192 * Self.mebibyte))
        #expect(metrics.value("interferencewatch_vm_memory_configured_bytes", lab) == Double(256 * Self.mebibyte))
        #expect(metrics.value("interferencewatch_vm_memory_maximum_bytes", lab) == Double(256 * Self.mebibyte))
        #expect(metrics.value("interferencewatch_vm_guest_memory_total_bytes", lab) == Double(180 * Self.mebibyte))
        #expect(metrics.value("interferencewatch_vm_guest_memory_available_bytes", lab) == Double(150 * Self.mebibyte))
        #expect(metrics.value("interferencewatch_vm_guest_memory_free_bytes", lab) == Double(100 * Self.mebibyte))
        #expect(metrics.value("interferencewatch_vm_guest_disk_caches_bytes", lab) == Double(5 * Self.mebibyte))
        #expect(metrics.value("interferencewatch_vm_guest_major_faults_total", lab) == 9)
        #expect(metrics.value("interferencewatch_vm_guest_minor_faults_total", lab) == 1000)
        #expect(metrics.value("interferencewatch_vm_guest_stats_age_seconds", lab) == 3)
        #expect(metrics.value("interferencewatch_vm_balloon_changes_total", lab) == 3)
        #expect(metrics.value("interferencewatch_vm_events_total", lab.merging(["event": "RESUME"]) { $1 }) == 1)
        #expect(metrics.value("interferencewatch_vm_last_balloon_change_timestamp_seconds", lab) == 1_700_000_005.5)
        #expect(metrics.value("interferencewatch_vm_rss_bytes", lab) == Double(300 * Self.mebibyte))
        // Unsupported guest stats give no series at all.
        #expect(metrics.lines("interferencewatch_vm_guest_swap_in_bytes_total").isEmpty)
        #expect(metrics.lines("interferencewatch_vm_guest_swap_out_bytes_total").isEmpty)

        // Unjoined: no workload label (not an empty one); a down VM has only vm_up and its QMP counters.
        #expect(metrics.lines("interferencewatch_vm_up").contains("interferencewatch_vm_up{vm=\"ghost\"} 0"))
        #expect(metrics.value("interferencewatch_vm_balloon_changes_total", ["vm": "ghost"]) == 0)
        #expect(metrics.value("interferencewatch_vm_balloon_actual_bytes", ["vm": "ghost"]) == nil)
        #expect(!metrics.text.contains("workload=\"\""))

        // libvirt: target present, no QMP-only series.
        #expect(metrics.value("interferencewatch_vm_balloon_target_bytes", ["vm": "test"]) == Double(2 << 30))
        #expect(metrics.value("interferencewatch_vm_balloon_changes_total", ["vm": "test"]) == nil)
        #expect(metrics.value("interferencewatch_vm_guest_stats_age_seconds", ["vm": "test"]) == nil)
        #expect(metrics.lines("interferencewatch_vm_balloon_target_bytes").count == 1)
    }

    /// `vm_monitor_errors_total`: every reason from the first scrape on (0 until it happens), QMP and libvirt alike;
    /// a VM seen by both adds up under its one name; the vanished count goes to `collector_vanished_total{vm}`.
    @Test func monitorErrorsHaveEveryReasonAndAddUpPerVM() throws {
        let qmp = [
            VMJoin.Reading(VMSample(name: "ghost", source: .qmp, up: false, error: "connect failed"),
                           socketPath: "/run/ghost.sock", errorCounts: ["connect": 4]),
            VMJoin.Reading(VMSample(name: "both", source: .qmp, up: true), socketPath: "/run/both.sock",
                           errorCounts: ["timeout": 1]),
        ]
        let libvirt = [
            VMJoin.Reading(VMSample(name: "both", source: .libvirt, up: true), errorCounts: ["timeout": 2, "command": 1]),
            VMJoin.Reading(VMSample(name: "quiet", source: .libvirt, up: true)),
        ]
        let collector = VMCollector(qmp: { qmp }, libvirt: { libvirt }, takeVanished: { 3 },
                                    logger: TestLogHandlerStore().logger())
        var snapshot = CollectedSweep()
        var issues: [ParseIssue] = []
        try collector.collect(into: &snapshot, issues: &issues)
        #expect(snapshot.vanished == ["vm": 3])
        let metrics = Self.render(snapshot)
        func errors(_ vm: String, _ reason: String) -> Double? {
            metrics.value("interferencewatch_vm_monitor_errors_total", ["vm": vm, "reason": reason])
        }
        #expect(metrics.lines("interferencewatch_vm_monitor_errors_total").count == 3 * VMCollector.errorReasons.count)
        #expect(errors("ghost", "connect") == 4 && errors("ghost", "timeout") == 0)
        #expect(errors("both", "timeout") == 3 && errors("both", "command") == 1 && errors("both", "closed") == 0)
        #expect(VMCollector.errorReasons.allSatisfy { errors("quiet", $0) == 0 })
    }

    @Test func helpNamesTheSource() {
        let text = Self.render(Self.snapshot()).text
        #expect(text.contains("# HELP interferencewatch_vm_balloon_actual_bytes Guest-visible RAM after ballooning "
                              + "(QMP query-balloon actual, libvirt dommemstat actual)."))
        #expect(text.contains("# TYPE interferencewatch_vm_events_total counter"))
    }

    @Test func passesPromtool() throws {
        let text = Self.render(Self.snapshot()).text
        let lint = try GoldenMetricsTests.promtool(["check", "metrics"], input: text)
        #expect(lint.status == 0, "promtool check metrics: \(lint.output)")
    }

    @Test func noVMsNoVMFamilies() {
        var snapshot = Self.snapshot()
        snapshot.vms = []
        #expect(!Self.render(snapshot).text.contains("interferencewatch_vm_"))
    }
}
