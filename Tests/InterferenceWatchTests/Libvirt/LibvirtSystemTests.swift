import Foundation
import Testing

/// The daemon on a real `qemu:///system`: Debian's libvirtd, a TCG domain booting the lab guest with a virtio
/// balloon, read over libvirt's read-only socket, and joined to the cgroup libvirt made for it.
///
/// Without systemd (this machine), libvirt places a domain in `/machine/qemu-<id>-<name>.libvirt-qemu` under every
/// v1 controller it uses (and in the unified tree, with the vCPU and emulator threads in sub-cgroups there); with
/// systemd it would be `machine.slice/machine-qemu\x2d<id>\x2d<name>.scope`. The test reads the path from the QEMU
/// process instead of assuming one.
///
/// The same domain and daemon then go through libvirtd outages (``checkOutages(domain:libvirtd:daemon:started:)``):
/// one libvirtd start and one domain boot serve both, since every start of libvirtd here re-probes QEMU (15 s idle).
@Suite(.serialized, .timeLimit(.minutes(6)),
       .enabled(if: TestLibvirtd.available,
                "needs root, libvirtd and virtlogd (apt-get install libvirt-daemon-system; scripts/install-deps.sh --test), virsh, qemu-system-x86 and busybox-static"))
struct LibvirtSystemTests {
    static let mebibyte = 1024.0 * 1024

    @Test func readsARealDomainAndItsCgroupThroughLibvirtdOutages() async throws {
        let started = Date()
        let libvirtd = try await TestLibvirtd.start()
        defer { libvirtd.stop() }
        let domain = try await TestLibvirtDomain.start(memoryMiB: 192)
        defer { domain.remove() }
        // Runs before the removal: a failed expectation must not leave libvirtd stopped or frozen (the removal would
        // wait on it and leave the domain behind).
        defer { try? libvirtd.startLibvirtdAgainBlocking() }
        print("libvirt system test: domain \(domain.name) started after \(Date().timeIntervalSince(started)) s")

        let pid = try #require(domain.pid, "no pid file for \(domain.name) in /run/libvirt/qemu")
        let memoryCgroup = try #require(Self.memoryCgroup(of: pid), "no memory cgroup line for QEMU pid \(pid)")
        print("libvirt system test: QEMU pid \(pid), memory cgroup \(memoryCgroup)")

        let tree = try TemporaryTree()
        try tree.write("config.yaml", "libvirt: {uri: qemu:///system}\n")
        let daemon = try await DaemonProcess(arguments: ["--config", tree.root + "/config.yaml", "--collection.interval", "1s"])
        defer { daemon.stop() }

        // Up, at its configured size, and with guest statistics once the guest's balloon driver reports (the boot
        // under TCG takes 10-30 s on a loaded machine).
        let vm = ["vm": domain.name]
        let booted = try await VMDaemonTests.scrape(daemon, forUpTo: 150) {
            $0.value("interferencewatch_vm_up", vm) == 1
                && $0.value("interferencewatch_vm_guest_memory_total_bytes", vm) != nil
        }
        print("libvirt system test: guest stats in /metrics after \(Date().timeIntervalSince(started)) s")
        #expect(booted.value("interferencewatch_vm_up", vm) == 1, "\(daemon.log)\nserial:\n\(domain.serialLog)")
        #expect(booted.value("interferencewatch_vm_memory_configured_bytes", vm) == 192 * Self.mebibyte)
        #expect(booted.value("interferencewatch_vm_balloon_actual_bytes", vm) == 192 * Self.mebibyte)
        let total = try #require(booted.value("interferencewatch_vm_guest_memory_total_bytes", vm),
                                 "no guest stats\nserial:\n\(domain.serialLog)")
        #expect(total > 64 * Self.mebibyte && total <= 192 * Self.mebibyte, "\(total)")
        #expect(booted.value("interferencewatch_vm_guest_memory_available_bytes", vm) != nil)
        #expect(booted.value("interferencewatch_vm_guest_memory_free_bytes", vm) != nil)

        // An operator shrinks the guest through libvirt (read-write, as root); the daemon's read-only reads follow.
        let setmem = try await TestLibvirtd.virsh(["setmem", domain.name, "160M", "--live"])
        #expect(setmem.status == 0, "\(setmem)")
        let shrunk = try await VMDaemonTests.scrape(daemon, forUpTo: 60) {
            $0.value("interferencewatch_vm_balloon_actual_bytes", vm) == 160 * Self.mebibyte
                && $0.value("interferencewatch_vm_balloon_target_bytes", vm) == 160 * Self.mebibyte
                && ($0.value("interferencewatch_vm_guest_memory_total_bytes", vm) ?? .infinity) <= 160 * Self.mebibyte
        }
        print("libvirt system test: setmem visible after \(Date().timeIntervalSince(started)) s")
        for line in shrunk.text.split(separator: "\n") where line.contains(domain.name) {
            print("libvirt system test: \(line)")
        }
        #expect(shrunk.value("interferencewatch_vm_balloon_actual_bytes", vm) == 160 * Self.mebibyte)
        #expect(shrunk.value("interferencewatch_vm_balloon_target_bytes", vm) == 160 * Self.mebibyte)
        #expect(shrunk.value("interferencewatch_vm_memory_configured_bytes", vm) == 192 * Self.mebibyte)
        #expect((shrunk.value("interferencewatch_vm_guest_memory_total_bytes", vm) ?? .infinity) <= 160 * Self.mebibyte)
        #expect((shrunk.value("interferencewatch_vm_rss_bytes", vm) ?? 0) > 0)

        // One workload for the domain: libvirt's cgroup, type vm, named after the domain, and the VM joined to it.
        #expect(VMDaemonTests.workloadLabel(of: domain.name, in: shrunk) == domain.name, "\(shrunk.lines("interferencewatch_vm_up"))")
        let workloadLines = shrunk.lines("interferencewatch_workload_memory_usage_bytes")
            .filter { $0.contains("workload=\"\(domain.name)\"") }
        #expect(workloadLines.count == 1, "\(workloadLines)")
        let usage = shrunk.value("interferencewatch_workload_memory_usage_bytes",
                                 ["workload": domain.name, "type": "vm", "cgroup": memoryCgroup])
        // QEMU's RAM is touched by the guest's boot only in part; its own heap and TCG buffers come on top.
        #expect((usage ?? 0) > 16 * Self.mebibyte, "\(workloadLines)")

        let lint = try GoldenMetricsTests.promtool(["check", "metrics"], input: shrunk.text)
        #expect(lint.status == 0, "promtool check metrics: \(lint.output)")
        print("libvirt system test: read checks done after \(Date().timeIntervalSince(started)) s")

        try await Self.checkOutages(domain: domain, libvirtd: libvirtd, daemon: daemon, started: started)
        #expect(daemon.stop() == 0)
        print("libvirt system test: done after \(Date().timeIntervalSince(started)) s")
    }

    /// The v1 memory controller's path from `/proc/<pid>/cgroup` (`4:memory:/machine/qemu-1-x.libvirt-qemu`), else
    /// the unified one (`0::/...`).
    static func memoryCgroup(of pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 2).map(String.init) }
        let memory = lines.first { $0.count == 3 && $0[1].split(separator: ",").contains("memory") }
        return memory?[2] ?? lines.first { $0.count == 3 && $0[1].isEmpty }?[2]
    }
}
