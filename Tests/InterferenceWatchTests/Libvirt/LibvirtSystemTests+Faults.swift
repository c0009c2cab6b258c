import Foundation
import Testing

extension LibvirtSystemTests {
    /// The daemon watches a running domain through a real libvirtd, which an operator stops and starts again, and
    /// which then freezes (`SIGSTOP`) and thaws.
    ///
    /// Stopped: every read fails to connect (`vm_monitor_errors_total{reason="connect"}` counts each one), the VM is
    /// `vm_up 0` without its memory series, the failure is logged once with the URI and the VM (not every poll), and
    /// `/metrics` answers and lints. Started again: one "reachable again" line and the VM's samples are back. Frozen:
    /// virsh connects (the listen backlog accepts) and hears nothing, so every read is killed at the 5 s command
    /// timeout and counted as `timeout`, logged once; nothing more counts as `connect`. The QEMU process runs on
    /// throughout. Cancels the test (visibly) when libvirtd was running before the test: only a libvirtd of the
    /// test's own is stopped or frozen.
    ///
    /// - Parameters:
    ///   - domain: a running domain of 192 MiB the daemon reads (`vm_up 1`).
    ///   - daemon: started with `libvirt: {uri: qemu:///system}` and `--collection.interval 1s`.
    static func checkOutages(domain: TestLibvirtDomain, libvirtd: TestLibvirtd, daemon: DaemonProcess,
                             started: Date) async throws {
        guard libvirtd.ownsLibvirtd else {
            try Test.cancel(Comment(rawValue: "libvirtd already answered on \(TestLibvirtd.uri) before the test, so "
                + "the outages are not checked: the test stops and freezes only a libvirtd of its own"))
        }
        let vm = ["vm": domain.name]
        let configured = 192 * Self.mebibyte
        func errors(_ metrics: Exposition, _ reason: String) -> Double? {
            metrics.value("interferencewatch_vm_monitor_errors_total", vm.merging(["reason": reason]) { $1 })
        }
        // The daemon's log lines with this message about this domain, from `offset` (a length of the log) on.
        func logLines(_ message: String, level: String, from offset: Int = 0) -> [Substring] {
            daemon.log.dropFirst(offset).split(separator: "\n").filter {
                $0.contains("level=\(level)") && $0.contains("msg=\"\(message)\"")
                    && $0.contains("vm.name=\(domain.name)")
            }
        }
        func lint(_ metrics: Exposition) throws {
            let lint = try GoldenMetricsTests.promtool(["check", "metrics"], input: metrics.text)
            #expect(lint.status == 0, "promtool check metrics: \(lint.output)")
        }
        func elapsed() -> String { String(format: "%.1f s", Date().timeIntervalSince(started)) }

        // Up. A loaded machine may have made a read or two time out already (libvirtd answers a booting TCG guest's
        // dominfo late), so what follows is measured from here.
        let up = try await VMDaemonTests.scrape(daemon, forUpTo: 90) {
            $0.value("interferencewatch_vm_up", vm) == 1
                && $0.value("interferencewatch_vm_memory_configured_bytes", vm) == configured
        }
        #expect(up.value("interferencewatch_vm_up", vm) == 1, "\(daemon.log)")
        let connectBefore = try #require(errors(up, "connect"), "\(up.text)")
        #expect(connectBefore == 0, "libvirtd answered throughout: \(daemon.log)")

        // libvirtd stopped: down, every read counted as `connect`, one warning for the whole outage.
        print("libvirt outages: stopping libvirtd after \(elapsed())")
        let stoppedFrom = daemon.log.count
        try await libvirtd.stopLibvirtd()
        print("libvirt outages: libvirtd stopped after \(elapsed())")
        let down = try await VMDaemonTests.scrape(daemon, forUpTo: 90) {
            $0.value("interferencewatch_vm_up", vm) == 0 && (errors($0, "connect") ?? 0) >= connectBefore + 3
        }
        let connectErrors = try #require(errors(down, "connect"))
        #expect(down.value("interferencewatch_vm_up", vm) == 0, "\(daemon.log)")
        #expect(connectErrors >= connectBefore + 3,
                "\(down.lines("interferencewatch_vm_monitor_errors_total"))\n\(daemon.log)")
        #expect(down.value("interferencewatch_vm_memory_configured_bytes", vm) == nil)
        try lint(down)
        let warnings = logLines("libvirt read failed", level: "warning", from: stoppedFrom)
        let connectWarnings = warnings.filter { $0.contains("error.reason=connect") }
        #expect(connectWarnings.count == 1, "\(warnings)")
        let connectWarning = try #require(connectWarnings.first)
        #expect(connectWarning.contains("libvirt.uri=\(TestLibvirtd.uri)"), "\(connectWarning)")
        #expect(connectWarning.contains("failed to connect to the hypervisor"), "\(connectWarning)")
        // While libvirtd shuts down, a read may hang (`timeout`) or be cut off (`closed`) before reads are refused:
        // a line for each kind, never the same kind twice in a row.
        let reasons = warnings.map { $0.split(separator: " ").first { $0.hasPrefix("error.reason=") } }
        #expect(zip(reasons, reasons.dropFirst()).allSatisfy { $0 != $1 }, "\(warnings)")

        // Started again: up with its samples, the recovery logged once, the failures still counted. While libvirtd
        // starts (it probes QEMU first), virsh may connect and wait: a read or two may also count as `timeout`.
        print("libvirt outages: down and counted after \(elapsed())")
        try await libvirtd.startLibvirtdAgain()
        print("libvirt outages: libvirtd answers again after \(elapsed())")
        let back = try await VMDaemonTests.scrape(daemon, forUpTo: 90) {
            $0.value("interferencewatch_vm_up", vm) == 1
                && $0.value("interferencewatch_vm_memory_configured_bytes", vm) == configured
        }
        #expect(back.value("interferencewatch_vm_up", vm) == 1, "\(daemon.log)")
        #expect(back.value("interferencewatch_vm_memory_configured_bytes", vm) == configured)
        #expect(back.value("interferencewatch_vm_balloon_target_bytes", vm) != nil)
        #expect((errors(back, "connect") ?? 0) >= connectErrors)
        #expect(logLines("libvirt domain reachable again", level: "info", from: stoppedFrom).count == 1,
                "\(daemon.log)")
        let afterRecovery = ["connect", "closed", "malformed", "command"].map { errors(back, $0) }
        let timeoutsBefore = errors(back, "timeout") ?? 0

        // libvirtd frozen: virsh connects and waits, and is killed at the command timeout, every read of it.
        let pid = try #require(libvirtd.libvirtdPID, "libvirtd answers but its pid file names no live process")
        let frozenFrom = daemon.log.count
        try libvirtd.pauseLibvirtd(true)
        print("libvirt outages: libvirtd (pid \(pid)) frozen after \(elapsed())")
        let stuck = try await VMDaemonTests.scrape(daemon, forUpTo: 90) {
            $0.value("interferencewatch_vm_up", vm) == 0 && (errors($0, "timeout") ?? 0) >= timeoutsBefore + 2
        }
        try libvirtd.pauseLibvirtd(false)
        print("libvirt outages: libvirtd thawed after \(elapsed())")
        #expect(stuck.value("interferencewatch_vm_up", vm) == 0, "\(daemon.log)")
        #expect((errors(stuck, "timeout") ?? 0) >= timeoutsBefore + 2,
                "\(stuck.lines("interferencewatch_vm_monitor_errors_total"))")
        #expect(["connect", "closed", "malformed", "command"].map { errors(stuck, $0) } == afterRecovery,
                "\(stuck.lines("interferencewatch_vm_monitor_errors_total"))")
        try lint(stuck)
        let timeoutWarnings = logLines("libvirt read failed", level: "warning", from: frozenFrom)
        #expect(timeoutWarnings.count == 1, "\(timeoutWarnings)")
        let timeoutWarning = try #require(timeoutWarnings.first)
        #expect(timeoutWarning.contains("error.reason=timeout"), "\(timeoutWarning)")
        #expect(timeoutWarning.contains("no answer within 5.0 s"), "\(timeoutWarning)")
        #expect(timeoutWarning.contains("libvirt.uri=\(TestLibvirtd.uri)"), "\(timeoutWarning)")

        // Thawed: up again, one more recovery line.
        let thawed = try await VMDaemonTests.scrape(daemon, forUpTo: 90) {
            $0.value("interferencewatch_vm_up", vm) == 1
                && $0.value("interferencewatch_vm_memory_configured_bytes", vm) == configured
        }
        #expect(thawed.value("interferencewatch_vm_up", vm) == 1, "\(daemon.log)")
        #expect(logLines("libvirt domain reachable again", level: "info", from: frozenFrom).count == 1,
                "\(daemon.log)")
        try lint(thawed)
        for line in thawed.lines("interferencewatch_vm_monitor_errors_total") where line.contains(domain.name) {
            print("libvirt outages: \(line)")
        }
        for line in daemon.log.split(separator: "\n") where line.contains("msg=\"libvirt ") {
            print("libvirt outages: \(line)")
        }
        print("libvirt outages: done after \(elapsed())")
    }
}
