import Detectors
import Parsers

/// Joins VM samples to their QEMU process and host workload: pure logic on one snapshot, no I/O.
///
/// The QEMU process of a VM is, in order of trust:
/// 1. the pid QEMU's QMP socket reported (`SO_PEERCRED`), when that process is in the snapshot;
/// 2. the QEMU whose command line serves the VM's QMP socket (`-qmp unix:<socket>`, `-chardev socket,path=<socket>`);
/// 3. the only QEMU whose `-name` is the VM's name (`-name web1`, `-name guest=web1,...`);
/// 4. the only QEMU whose `-pidfile` names the VM (`/run/libvirt/qemu/web1.pid`, `<dir>/web1/qemu.pid`).
/// A name or pidfile shared by several QEMUs joins nothing: a wrong join is worse than none.
///
/// The host workload of a VM is a `type="vm"` workload with the VM's name (libvirt's machine.slice scope, or the one
/// ``join(qmp:libvirt:into:)`` adds), else the workload whose cgroup holds the QEMU process (the longest match, so
/// libvirt's `…scope/libvirt/emulator` sub-cgroups land on their scope).
///
/// libvirt names a domain's cgroup after its machine name, which keeps only letters, digits, `-` and `.` of the
/// domain name and at most 64 characters (`web_1` runs in `/machine/qemu-1-web1.libvirt-qemu`, or
/// `machine-qemu\x2d1\x2dweb1.scope` with systemd). The classifier can only name that cgroup `web1`; when the QEMU
/// process joins a VM to such a `type="vm"` workload, the workload takes the VM's name, so both carry one name.
enum VMJoin {
    /// One VM as a source reported it; `socketPath` is set for QMP VMs.
    struct Reading: Sendable, Equatable {
        var sample: VMSample
        var socketPath: String?
        /// Failed reads since the source started watching the VM, by reason (``VMCollector/errorReasons``). Live
        /// only: not part of the stored sample.
        var errorCounts: [String: UInt64]

        init(_ sample: VMSample, socketPath: String? = nil, errorCounts: [String: UInt64] = [:]) {
            self.sample = sample
            self.socketPath = socketPath
            self.errorCounts = errorCounts
        }
    }

    /// What ``join(qmp:libvirt:into:)`` could not place, for the caller to log.
    struct Outcome: Sendable, Equatable {
        /// QMP readings dropped because an earlier one (by socket path) already had their name.
        var duplicateNames: [(name: String, socketPath: String)] = []

        static func == (lhs: Outcome, rhs: Outcome) -> Bool {
            lhs.duplicateNames.elementsEqual(rhs.duplicateNames) {
                $0.name == $1.name && $0.socketPath == $1.socketPath
            }
        }
    }

    /// Fills `snapshot.vms` from the readings, sorted by name, each joined to its process and workload
    /// (``Sweep/vmWorkloads``).
    ///
    /// - A VM name appears once (the `vm` label must be unique): among QMP readings the first socket wins; a libvirt
    ///   domain with the name of a QMP VM is the same machine seen twice, so it only fills what QMP left `nil`
    ///   (balloon target, RSS) and counts as up when either read worked.
    /// - `pid` and `rssBytes` are filled from the QEMU process when the source did not report them.
    /// - A QMP VM whose QEMU runs in no workload gets a `type="vm"` workload built from the process (RSS, swap, major
    ///   faults; `cgroup` = the process's memory cgroup), so one workload carries host and guest memory.
    @discardableResult
    static func join(qmp: [Reading], libvirt: [VMSample], into snapshot: inout CollectedSweep) -> Outcome {
        var outcome = Outcome()
        var byName: [String: (sample: VMSample, process: ProcessSample?, isQMP: Bool)] = [:]
        for reading in qmp {
            let name = reading.sample.name
            guard byName[name] == nil else {
                outcome.duplicateNames.append((name, reading.socketPath ?? ""))
                continue
            }
            let process = self.process(of: reading, in: snapshot.processes)
            byName[name] = (reading.sample, process, true)
        }
        for sample in libvirt {
            if var existing = byName[sample.name] {
                existing.sample = self.merged(existing.sample, filledFrom: sample)
                byName[sample.name] = existing
            } else {
                byName[sample.name] = (sample, self.process(of: Reading(sample), in: snapshot.processes), false)
            }
        }

        var vms: [VMSample] = []
        var vmWorkloads: [String: String] = [:]
        for name in byName.keys.sorted() {
            var (sample, process, isQMP) = byName[name]!
            if let process {
                sample.pid = sample.pid ?? process.pid
                sample.rssBytes = sample.rssBytes ?? process.rssBytes
            }
            var workload = self.workloadName(of: sample, processes: snapshot.processes, workloads: snapshot.workloads)
            if workload == nil, isQMP, let process {
                snapshot.workloads.append(self.workload(name: name, process: process))
                workload = name
            }
            vmWorkloads[name] = workload
            vms.append(sample)
        }
        self.renameVMWorkloads(joined: &vmWorkloads, workloads: &snapshot.workloads)
        snapshot.vms = vms
        snapshot.sweep.vmWorkloads = vmWorkloads
        return outcome
    }

    /// Gives a cgroup-classified `type="vm"` workload the name of the one VM joined to it by its QEMU process (see
    /// the type's comment). Left alone when several VMs joined it or another workload already has the VM's name.
    private static func renameVMWorkloads(joined vmWorkloads: inout [String: String], workloads: inout [WorkloadSample]) {
        let vmsByWorkload = Dictionary(grouping: vmWorkloads.keys, by: { vmWorkloads[$0]! })
        for (workloadName, vmNames) in vmsByWorkload where vmNames.count == 1 && vmNames[0] != workloadName {
            let vmName = vmNames[0]
            guard !workloads.contains(where: { $0.name == vmName }),
                  let index = workloads.firstIndex(where: {
                      $0.name == workloadName && $0.kind == .vm && $0.cgroupVersion != 0
                  })
            else { continue }
            workloads[index].name = vmName
            vmWorkloads[vmName] = vmName
        }
    }

    /// The `workload` a VM joins: a `type="vm"` workload of the same name, else the workload whose cgroup holds the
    /// VM's QEMU process (``VMSample/pid``); `nil` when neither exists.
    static func workloadName(of vm: VMSample, processes: [ProcessSample], workloads: [WorkloadSample]) -> String? {
        if let named = workloads.first(where: { $0.kind == .vm && $0.name == vm.name }) { return named.name }
        guard let pid = vm.pid, let process = processes.first(where: { $0.pid == pid }) else { return nil }
        var best: (workload: WorkloadSample, depth: Int)?
        for workload in workloads where workload.cgroupVersion != 0 {
            let path = workload.cgroupVersion == 1 ? process.cgroupV1Memory : process.cgroupV2
            guard let path, Self.cgroup(workload.cgroup, contains: path) else { continue }
            let depth = workload.cgroup.split(separator: "/").count
            if best == nil || depth > best!.depth { best = (workload, depth) }
        }
        return best?.workload.name
    }

    /// The QEMU process of a reading (see the type's comment for the order).
    static func process(of reading: Reading, in processes: [ProcessSample]) -> ProcessSample? {
        if let pid = reading.sample.pid, let process = processes.first(where: { $0.pid == pid }) { return process }
        let qemus = processes.compactMap { process in
            QEMUCommandLine(process.commandLine, command: process.command).map { (process, $0) }
        }
        if let socket = reading.socketPath,
           let match = qemus.first(where: { $0.1.socketPaths.contains { Self.samePath($0, socket) } }) {
            return match.0
        }
        let name = reading.sample.name
        let named = qemus.filter { $0.1.name == name }
        if named.count == 1 { return named[0].0 }
        if named.isEmpty {
            let byPidfile = qemus.filter { $0.1.pidfileNames(name) }
            if byPidfile.count == 1 { return byPidfile[0].0 }
        }
        return nil
    }

    /// A `type="vm"` workload measured from the QEMU process alone.
    static func workload(name: String, process: ProcessSample) -> WorkloadSample {
        // On a hybrid host the memory controller is the v1 one, so its path is the meaningful label.
        var workload = WorkloadSample(name: name, kind: .vm, cgroup: process.cgroupV1Memory ?? process.cgroupV2 ?? "",
                                      cgroupVersion: 0, usageBytes: process.rssBytes, swapBytes: process.swapBytes)
        workload.stat[.pgmajfault] = process.majorFaults
        return workload
    }

    /// `vm` with the gaps QMP leaves (balloon target, RSS, guest stats while the driver is silent) filled from
    /// `libvirt`; up when either read worked.
    private static func merged(_ vm: VMSample, filledFrom libvirt: VMSample) -> VMSample {
        var vm = vm
        vm.up = vm.up || libvirt.up
        vm.status = vm.status ?? libvirt.status
        vm.configuredBytes = vm.configuredBytes ?? libvirt.configuredBytes
        vm.balloonActualBytes = vm.balloonActualBytes ?? libvirt.balloonActualBytes
        vm.balloonTargetBytes = vm.balloonTargetBytes ?? libvirt.balloonTargetBytes
        vm.maximumBytes = vm.maximumBytes ?? libvirt.maximumBytes
        vm.guestStats = vm.guestStats ?? libvirt.guestStats
        vm.rssBytes = vm.rssBytes ?? libvirt.rssBytes
        if vm.up { vm.error = nil }
        return vm
    }

    /// `parent` is `child` or one of its ancestors, compared by whole components (`/a/b` holds `/a/b/c`, not `/a/bc`).
    private static func cgroup(_ parent: String, contains child: String) -> Bool {
        guard !parent.isEmpty, parent != "/" else { return false }
        return child == parent || child.hasPrefix(parent.hasSuffix("/") ? parent : parent + "/")
    }

    private static func samePath(_ a: String, _ b: String) -> Bool {
        a == b || a.split(separator: "/") == b.split(separator: "/")
    }
}
