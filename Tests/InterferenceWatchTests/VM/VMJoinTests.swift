import Detectors
import Testing

@testable import InterferenceWatch
@testable import Parsers

struct QEMUCommandLineTests {
    @Test(arguments: [
        // libvirt's style: guest=, debug-threads, its own monitor as a chardev, a pidfile named after the domain.
        (["/usr/bin/qemu-system-x86_64", "-name", "guest=web1,debug-threads=on", "-S", "-pidfile",
          "/run/libvirt/qemu/web1.pid", "-chardev", "socket,id=charmonitor,fd=31,server=on,wait=off"],
         QEMUCommandLine(name: "web1", socketPaths: [], pidfile: "/run/libvirt/qemu/web1.pid")),
        // The lab scripts: a plain name and two QMP sockets.
        (["qemu-system-x86_64", "-name", "lab", "-m", "256", "-nodefaults", "-qmp", "unix:/tmp/a.qmp,server=on,wait=off",
          "-qmp", "unix:/tmp/b.qmp,server,nowait", "-daemonize", "-pidfile", "/tmp/lab/qemu.pid"],
         QEMUCommandLine(name: "lab", socketPaths: ["/tmp/a.qmp", "/tmp/b.qmp"], pidfile: "/tmp/lab/qemu.pid")),
        // Two-dash spelling, a chardev socket with a path, a name with a doubled (literal) comma.
        (["/usr/libexec/qemu-kvm", "--name", "a,,b,process=qemu-ab",
          "-chardev", "socket,id=mon1,path=/run/iw/qmp/ab.sock,server=on,wait=off", "-mon", "chardev=mon1,mode=control"],
         QEMUCommandLine(name: "a,b", socketPaths: ["/run/iw/qmp/ab.sock"], pidfile: nil)),
        (["qemu-system-aarch64", "-qmp", "unix:path=/run/q.sock,server=on"],
         QEMUCommandLine(name: nil, socketPaths: ["/run/q.sock"], pidfile: nil)),
        // Empty values name nothing (Fuzz/QEMUCommandLine found `guest=`): an empty name or socket path is dropped.
        (["qemu-system-x86_64", "-name", "guest=", "-chardev", "socket,id=m,path=,server=on", "-qmp", "unix:"],
         QEMUCommandLine(name: nil, socketPaths: [], pidfile: nil)),
    ])
    func parsesIdentifyingOptions(_ arguments: [String], _ expected: QEMUCommandLine) {
        #expect(QEMUCommandLine(arguments) == expected)
    }

    @Test func ignoresOtherPrograms() {
        #expect(QEMUCommandLine(["/usr/bin/python3", "-name", "web1"]) == nil)
        #expect(QEMUCommandLine([]) == nil)
    }

    @Test func pidfileNamesTheVMByStemOrDirectory() {
        #expect(QEMUCommandLine(pidfile: "/run/libvirt/qemu/web1.pid").pidfileNames("web1"))
        #expect(QEMUCommandLine(pidfile: "/tmp/vms/web1/qemu.pid").pidfileNames("web1"))
        #expect(!QEMUCommandLine(pidfile: "/run/libvirt/qemu/web10.pid").pidfileNames("web1"))
    }
}

/// The join on a synthetic snapshot: processes with QEMU command lines, workloads as the cgroup collector makes them.
struct VMJoinTests {
    static let mebibyte: UInt64 = 1 << 20

    static func qemu(_ pid: Int32, _ arguments: [String], v2: String? = nil, v1: String? = nil,
                     rss: UInt64 = 100 * mebibyte) -> ProcessSample {
        ProcessSample(pid: pid, command: "qemu-system-x86", commandLine: ["/usr/bin/qemu-system-x86_64"] + arguments,
                      cgroupV2: v2, cgroupV1Memory: v1, rssBytes: rss, swapBytes: 3 * mebibyte, majorFaults: 7)
    }

    /// libvirt's web1 in its machine scope (QEMU in the `libvirt/emulator` sub-cgroup), a QMP VM "db" run by a
    /// systemd service, a QMP VM "lab" started from a shell (no workload), two QEMUs named "twin", and a shell.
    static func snapshot() -> CollectedSweep {
        var snapshot = CollectedSweep()
        snapshot.atSeconds = 1_700_000_100
        snapshot.processes = [
            ProcessSample(pid: 1, command: "bash", commandLine: ["/bin/bash", "-name", "db"], cgroupV2: "/",
                          cgroupV1Memory: nil, rssBytes: 1, swapBytes: 0, majorFaults: 0),
            qemu(100, ["-name", "guest=web1,debug-threads=on", "-pidfile", "/run/libvirt/qemu/web1.pid"],
                 v2: "/machine.slice/machine-qemu\\x2d1\\x2dweb1.scope/libvirt/emulator"),
            qemu(200, ["-name", "db-vm", "-qmp", "unix:/run/iw/qmp/db.sock,server=on,wait=off"],
                 v2: "/system.slice/vm-db.service"),
            qemu(300, ["-name", "lab", "-pidfile", "/tmp/lab/qemu.pid"], v2: "/", v1: "/user.slice/session-1.scope",
                 rss: 250 * mebibyte),
            qemu(400, ["-name", "twin"], v2: "/"),
            qemu(401, ["-name", "twin"], v2: "/"),
        ]
        snapshot.workloads = [
            WorkloadSample(name: "web1", kind: .vm, cgroup: "/machine.slice/machine-qemu\\x2d1\\x2dweb1.scope",
                           cgroupVersion: 2, usageBytes: 1 << 30),
            WorkloadSample(name: "vm-db.service", kind: .service, cgroup: "/system.slice/vm-db.service",
                           cgroupVersion: 2, usageBytes: 600 * mebibyte),
            // A shorter prefix that must not win over the longer, and must not match `/system.slice/vm-db.serviceX`.
            WorkloadSample(name: "sys", kind: .cgroup, cgroup: "/system.slice", cgroupVersion: 2),
        ]
        return snapshot
    }

    @Test func joinsEachVMToItsProcessAndWorkload() throws {
        var snapshot = Self.snapshot()
        let qmp = [
            // "db" is matched by its socket (no pid: SO_PEERCRED unavailable), though QEMU's -name differs.
            VMJoin.Reading(VMSample(name: "db", source: .qmp, up: true, balloonActualBytes: 512 * Self.mebibyte),
                           socketPath: "/run/iw/qmp/db.sock"),
            VMJoin.Reading(VMSample(name: "ghost", source: .qmp, up: false, error: "connect: no such file"),
                           socketPath: "/run/iw/qmp/ghost.sock"),
            VMJoin.Reading(VMSample(name: "lab", source: .qmp, up: true, pid: 300), socketPath: "/tmp/lab/a.qmp"),
            VMJoin.Reading(VMSample(name: "twin", source: .qmp, up: true), socketPath: "/tmp/twin.qmp"),
        ]
        let libvirt = [VMSample(name: "web1", source: .libvirt, up: true, balloonTargetBytes: 1 << 30, rssBytes: 900)]
        let outcome = VMJoin.join(qmp: qmp, libvirt: libvirt, into: &snapshot)
        #expect(outcome.duplicateNames.isEmpty)

        #expect(snapshot.vms.map(\.name) == ["db", "ghost", "lab", "twin", "web1"])
        let vms = Dictionary(uniqueKeysWithValues: snapshot.vms.map { ($0.name, $0) })
        func workload(_ name: String) -> String? {
            VMJoin.workloadName(of: vms[name]!, processes: snapshot.processes, workloads: snapshot.workloads)
        }
        // By socket: pid and RSS filled from the process; workload = the service whose cgroup holds QEMU.
        #expect(vms["db"]?.pid == 200)
        #expect(vms["db"]?.rssBytes == 100 * Self.mebibyte)
        #expect(workload("db") == "vm-db.service")
        // No process: nothing filled, no workload.
        #expect(vms["ghost"]?.pid == nil)
        #expect(workload("ghost") == nil)
        // By SO_PEERCRED pid, in no workload: a type="vm" workload built from the process.
        #expect(workload("lab") == "lab")
        let lab = try #require(snapshot.workloads.first { $0.name == "lab" })
        #expect(lab == WorkloadSample(name: "lab", kind: .vm, cgroup: "/user.slice/session-1.scope", cgroupVersion: 0,
                                      usageBytes: 250 * Self.mebibyte, swapBytes: 3 * Self.mebibyte,
                                      stat: [.pgmajfault: 7]))
        // Two QEMUs with the same -name: no guess.
        #expect(vms["twin"]?.pid == nil)
        #expect(workload("twin") == nil)
        // libvirt: found by -name guest=web1; its own rss is kept; joined to its machine scope by name.
        #expect(vms["web1"]?.pid == 100)
        #expect(vms["web1"]?.rssBytes == 900)
        #expect(workload("web1") == "web1")
        // Only "lab" got a workload of its own.
        #expect(snapshot.workloads.count == 4)
    }

    @Test func cgroupJoinPrefersTheDeepestWorkloadAndWholeComponents() {
        var snapshot = Self.snapshot()
        snapshot.workloads.removeAll { $0.kind == .vm }
        snapshot.processes.append(Self.qemu(201, [], v2: "/system.slice/vm-db.serviceX"))
        func workload(pid: Int32) -> String? {
            VMJoin.workloadName(of: VMSample(name: "x", source: .qmp, up: true, pid: pid),
                                processes: snapshot.processes, workloads: snapshot.workloads)
        }
        #expect(workload(pid: 100) == nil)  // In /machine.slice/…: under no remaining workload.
        #expect(workload(pid: 200) == "vm-db.service")  // Under both; the deeper one wins.
        #expect(workload(pid: 201) == "sys")  // `vm-db.service` is not a prefix of `vm-db.serviceX`.
    }

    @Test func findsTheProcessByPidfileWhenNoNameMatches() {
        var snapshot = CollectedSweep()
        snapshot.processes = [Self.qemu(500, ["-pidfile", "/srv/vms/solo/qemu.pid"], v2: "/")]
        VMJoin.join(qmp: [VMJoin.Reading(VMSample(name: "solo", source: .qmp, up: true), socketPath: "/srv/s.sock")],
                    libvirt: [], into: &snapshot)
        #expect(snapshot.vms.first?.pid == 500)
        // cgroup "/" (pure v2, no v1 memory line) is the label, as the process reports it.
        #expect(snapshot.workloads.map(\.cgroup) == ["/"])
    }

    /// libvirt 9.0 without systemd (seen on the lab machine): domain `Iw_LV.x_2` runs in
    /// `/machine/qemu-2-IwLV.x2.libvirt-qemu` (its machine name drops `_`), so the classifier names that cgroup `IwLV.x2`.
    @Test func aLibvirtCgroupNamedAfterTheShortenedMachineNameTakesTheDomainsName() {
        var snapshot = CollectedSweep()
        snapshot.processes = [
            Self.qemu(600, ["-name", "guest=Iw_LV.x_2,debug-threads=on", "-pidfile", "/run/libvirt/qemu/Iw_LV.x_2.pid"],
                      v2: "/machine/qemu-2-IwLV.x2.libvirt-qemu/emulator", v1: "/machine/qemu-2-IwLV.x2.libvirt-qemu"),
            Self.qemu(700, ["-name", "guest=web_1,debug-threads=on"], v1: "/machine/qemu-3-web1.libvirt-qemu"),
        ]
        snapshot.workloads = [
            WorkloadSample(name: "IwLV.x2", kind: .vm, cgroup: "/machine/qemu-2-IwLV.x2.libvirt-qemu", cgroupVersion: 1,
                           usageBytes: 200 * Self.mebibyte),
            WorkloadSample(name: "web1", kind: .vm, cgroup: "/machine/qemu-3-web1.libvirt-qemu", cgroupVersion: 1),
            // A config workload already has the name `web_1`: no second workload of that name.
            WorkloadSample(name: "web_1", kind: .cgroup, cgroup: "/srv/web", cgroupVersion: 1),
        ]
        let libvirt = ["Iw_LV.x_2", "web_1"].map { VMSample(name: $0, source: .libvirt, up: true) }
        VMJoin.join(qmp: [], libvirt: libvirt, into: &snapshot)
        #expect(snapshot.vms.map(\.pid) == [600, 700])
        #expect(snapshot.sweep.vmWorkloads == ["Iw_LV.x_2": "Iw_LV.x_2", "web_1": "web1"])
        #expect(snapshot.workloads.map(\.name) == ["Iw_LV.x_2", "web1", "web_1"])
        #expect(snapshot.workloads[0].cgroup == "/machine/qemu-2-IwLV.x2.libvirt-qemu")
        #expect(snapshot.workloads[0].usageBytes == 200 * Self.mebibyte)
    }

    @Test func aNameSeenTwiceIsOneVM() {
        var snapshot = CollectedSweep()
        let qmp = [
            VMJoin.Reading(VMSample(name: "web1", source: .qmp, up: false, error: "timeout"), socketPath: "/a.sock"),
            VMJoin.Reading(VMSample(name: "web1", source: .qmp, up: true), socketPath: "/b.sock"),
        ]
        let libvirt = [VMSample(name: "web1", source: .libvirt, up: true, configuredBytes: 1024,
                                balloonTargetBytes: 512)]
        let outcome = VMJoin.join(qmp: qmp, libvirt: libvirt, into: &snapshot)
        #expect(outcome.duplicateNames.map(\.socketPath) == ["/b.sock"])
        #expect(snapshot.vms.count == 1)
        let vm = snapshot.vms[0]
        // QMP first; libvirt fills the gaps and, having read fine, makes the VM up.
        #expect(vm.source == .qmp)
        #expect(vm.up && vm.error == nil)
        #expect(vm.balloonTargetBytes == 512 && vm.configuredBytes == 1024)
    }
}
