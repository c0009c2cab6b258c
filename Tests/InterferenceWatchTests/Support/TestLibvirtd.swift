import Foundation

/// Debian's system libvirtd (`libvirt-daemon-system`) for the live libvirt tests, started by the test itself.
///
/// The test machine has no running systemd, so nothing socket-activates libvirtd or virtlogd: ``start()`` starts
/// both with their default configuration (`/etc/libvirt`, sockets in `/run/libvirt`, which is what `qemu:///system`
/// means) and pid files in a temporary directory, and ``stop()`` stops only what it started. A libvirtd that already
/// answers on `qemu:///system` is used as it is and left running. virtlogd is needed because qemu.conf's default
/// `stdio_handler = "logd"` sends each domain's QEMU output through it.
final class TestLibvirtd: Sendable {
    static let libvirtd = "/usr/sbin/libvirtd"
    static let virtlogd = "/usr/sbin/virtlogd"
    static let uri = "qemu:///system"

    /// Root (the system daemon), the daemons, virsh, QEMU and busybox-static (for the lab guest) are there.
    static let available: Bool = {
        let files = [libvirtd, virtlogd, "/usr/bin/virsh", "/bin/busybox"]
        return getuid() == 0 && files.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
            && QEMULab.qemuAvailable
    }()

    /// Pid files of the daemons this started, in start order.
    private let startedPidFiles: [String]
    private let directory: String

    private init(startedPidFiles: [String], directory: String) {
        self.startedPidFiles = startedPidFiles
        self.directory = directory
    }

    /// The pid file of the libvirtd this started; `nil` when a libvirtd that already answered is used.
    private var libvirtdPidFile: String? { self.startedPidFiles.first { $0.hasSuffix("/libvirtd.pid") } }

    /// `true` when this started libvirtd, so a test may stop, restart or pause it (never one it found running).
    var ownsLibvirtd: Bool { self.libvirtdPidFile != nil }

    /// The pid of the libvirtd this started, while it runs.
    var libvirtdPID: Int32? { self.libvirtdPidFile.flatMap(Self.runningPID(pidFile:)) }

    /// Starts virtlogd and libvirtd unless they run already, and waits until `qemu:///system` answers.
    static func start() async throws -> TestLibvirtd {
        let directory = NSTemporaryDirectory() + "iw-libvirtd-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var started: [String] = []
        let answering = try await Self.virsh(["uri"], timeoutSeconds: 10).status == 0
        if !answering {
            for (daemon, socket) in [(Self.virtlogd, "/run/libvirt/virtlogd-sock"), (Self.libvirtd, "")] {
                if !socket.isEmpty && Self.socketAnswers(socket) { continue }
                let pidFile = directory + "/" + URL(fileURLWithPath: daemon).lastPathComponent + ".pid"
                do {
                    try await Self.launch(daemon, pidFile: pidFile)
                } catch {
                    TestLibvirtd(startedPidFiles: started, directory: directory).stop()
                    throw error
                }
                started.append(pidFile)
            }
        }
        let libvirtd = TestLibvirtd(startedPidFiles: started, directory: directory)
        // The drivers initialise after the sockets listen: wait until the qemu driver answers. It probes every QEMU
        // binary first, and on this machine at every start (the cached capabilities say KVM, which the qemu user
        // cannot open, so libvirt finds them outdated): 15 s idle, a minute on a loaded machine.
        let ready = try await eventually(within: 120, every: .milliseconds(250)) { try await Self.answers() }
        guard ready else {
            libvirtd.stop()
            throw QEMULab.LabError(message: "libvirtd did not answer on \(Self.uri) within 120 s")
        }
        return libvirtd
    }

    /// Stops the daemons this started (SIGTERM, SIGKILL after 10 s), newest first. Synchronous, for `defer`.
    func stop() {
        for pidFile in self.startedPidFiles.reversed() { Self.terminate(pidFile: pidFile) }
        if !self.startedPidFiles.isEmpty, let controllers = try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup") {
            // libvirt's partition, left behind empty; rmdir fails (harmlessly) while a domain still runs in it.
            for controller in controllers { rmdir("/sys/fs/cgroup/\(controller)/machine") }
        }
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// Stops only the libvirtd this started (virtlogd and the domains' QEMUs run on, as when an operator restarts
    /// libvirtd), and waits (off the cooperative pool) until it has exited.
    func stopLibvirtd() async throws {
        let pidFile = try self.ownedPidFile()
        await offPool { Self.terminate(pidFile: pidFile) }
    }

    /// Starts the libvirtd this stopped again (same pid file) and waits up to `seconds` until its qemu driver answers
    /// (as slow as the first start, see ``start()``); thaws it if frozen.
    func startLibvirtdAgain(within seconds: Double = 120) async throws {
        let pidFile = try self.ownedPidFile()
        try await offPool { try Self.startAgainBlocking(pidFile: pidFile, within: seconds) }
    }

    /// ``startLibvirtdAgain(within:)`` holding the calling thread, for a `defer` that brings libvirtd back before the
    /// domain is removed (a `defer` cannot suspend).
    func startLibvirtdAgainBlocking(within seconds: Double = 120) throws {
        try Self.startAgainBlocking(pidFile: try self.ownedPidFile(), within: seconds)
    }

    private static func startAgainBlocking(pidFile: String, within seconds: Double) throws {
        if let pid = Self.runningPID(pidFile: pidFile) {
            kill(pid, SIGCONT)
        } else {
            try Self.launchBlocking(Self.libvirtd, pidFile: pidFile)
        }
        let deadline = Date().addingTimeInterval(seconds)
        while try Self.virshBlocking(Self.readinessCheck, timeoutSeconds: 10).status != 0 {
            guard Date() < deadline else {
                throw QEMULab.LabError(message: "libvirtd did not answer on \(Self.uri) within \(seconds) s")
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
    }

    /// Freezes (`SIGSTOP`) or thaws (`SIGCONT`) the libvirtd this started: a frozen libvirtd accepts connections
    /// (the kernel's listen backlog does) and answers nothing, the way a stuck one does.
    func pauseLibvirtd(_ paused: Bool) throws {
        let pidFile = try self.ownedPidFile()
        guard let pid = Self.runningPID(pidFile: pidFile) else {
            throw QEMULab.LabError(message: "libvirtd (\(pidFile)) is not running")
        }
        kill(pid, paused ? SIGSTOP : SIGCONT)
    }

    private func ownedPidFile() throws -> String {
        guard let pidFile = self.libvirtdPidFile else {
            throw QEMULab.LabError(message: "libvirtd was running already; this test did not start it")
        }
        return pidFile
    }

    /// `true` when the qemu driver answers a read-only `virsh list` (libvirtd serves no call before its drivers are
    /// up). Not `virsh version`: asking for QEMU's version makes libvirt probe QEMU again, which here takes seconds
    /// every time (see ``start()``).
    private static let readinessCheck = ["-r", "list", "--all", "--name"]

    private static func answers() async throws -> Bool {
        try await Self.virsh(Self.readinessCheck, timeoutSeconds: 10).status == 0
    }

    /// Starts `daemon -d -p pidFile`: `-d` forks after the sockets listen and points the child's stdio at /dev/null.
    private static func launch(_ daemon: String, pidFile: String) async throws {
        try await offPool { try Self.launchBlocking(daemon, pidFile: pidFile) }
    }

    private static func launchBlocking(_ daemon: String, pidFile: String) throws {
        let result = try Command.runBlocking(Command.closingInheritedDescriptors([daemon, "-d", "-p", pidFile]),
                                             timeoutSeconds: 60)
        guard result.status == 0 else {
            throw QEMULab.LabError(message: "\(daemon) -d failed: \(result)")
        }
    }

    /// SIGTERM to the pid in `pidFile` (and SIGCONT, should a test have frozen it), SIGKILL after 10 s.
    private static func terminate(pidFile: String) {
        guard let pid = Self.runningPID(pidFile: pidFile) else { return }
        kill(pid, SIGTERM)
        kill(pid, SIGCONT)
        let deadline = Date().addingTimeInterval(10)
        while Self.isAlive(pid) && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if Self.isAlive(pid) { kill(pid, SIGKILL) }
    }

    /// `true` while `pid` exists and is not a zombie waiting to be reaped (which `kill(pid, 0)` alone cannot tell).
    private static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// The pid in `pidFile` while that process lives.
    private static func runningPID(pidFile: String) -> Int32? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1, Self.isAlive(pid)
        else { return nil }
        return pid
    }

    /// Runs `virsh -c qemu:///system <arguments>` (read-write unless `arguments` starts with `-r`).
    static func virsh(_ arguments: [String], timeoutSeconds: Int = 60) async throws -> Command.Result {
        try await Command.run(["/usr/bin/virsh", "-c", Self.uri] + arguments, environment: ["LC_ALL": "C"],
                              timeoutSeconds: timeoutSeconds)
    }

    /// ``virsh(_:timeoutSeconds:)`` holding the calling thread, for clean-up that cannot suspend.
    static func virshBlocking(_ arguments: [String], timeoutSeconds: Int = 60) throws -> Command.Result {
        try Command.runBlocking(["/usr/bin/virsh", "-c", Self.uri] + arguments, environment: ["LC_ALL": "C"],
                                timeoutSeconds: timeoutSeconds)
    }

    private static func socketAnswers(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8.prefix(buffer.count - 1))
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}

/// A persistent TCG domain booting the lab guest (`contrib/lab/vm/build-guest.sh`) with a virtio balloon.
///
/// The kernel and initramfs are copied to a world-readable directory of its own: libvirt's QEMU runs as
/// `libvirt-qemu`, cannot enter root's cache, and dynamic ownership chowns the files it boots.
struct TestLibvirtDomain: Sendable {
    let name: String
    let directory: String

    /// Defines and starts the domain; removes it again when starting fails.
    static func start(memoryMiB: Int, statsPeriodSeconds: Int = 1) async throws -> TestLibvirtDomain {
        let guest = try await QEMULab.runScript("build-guest.sh", arguments: [], timeout: .seconds(300))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // An underscore on purpose: libvirt drops it from the machine name its cgroup is named after.
        let name = "iw_lv-" + UUID().uuidString.prefix(6).lowercased()
        let directory = "/tmp/iw-libvirt-\(name)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let domain = TestLibvirtDomain(name: name, directory: directory)
        do {
            for file in ["vmlinuz", "initramfs.cpio.gz"] {
                try FileManager.default.copyItem(atPath: guest + "/" + file, toPath: directory + "/" + file)
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory + "/" + file)
            }
            try domain.xml(memoryMiB: memoryMiB, statsPeriodSeconds: statsPeriodSeconds)
                .write(toFile: directory + "/domain.xml", atomically: true, encoding: .utf8)
            for command in [["define", directory + "/domain.xml"], ["start", name]] {
                let result = try await TestLibvirtd.virsh(command, timeoutSeconds: 120)
                guard result.status == 0 else {
                    throw QEMULab.LabError(message: "virsh \(command.joined(separator: " ")): \(result)")
                }
            }
        } catch {
            domain.remove()
            throw error
        }
        return domain
    }

    /// The guest's serial console so far.
    var serialLog: String { (try? String(contentsOfFile: self.directory + "/serial.log", encoding: .utf8)) ?? "" }

    /// The QEMU process libvirt started (its pid file in `/run/libvirt/qemu`).
    var pid: Int32? {
        (try? String(contentsOfFile: "/run/libvirt/qemu/\(self.name).pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Destroys and undefines the domain and removes its files; errors are ignored (it may never have started).
    /// Synchronous, for `defer`.
    func remove() {
        _ = try? TestLibvirtd.virshBlocking(["destroy", self.name], timeoutSeconds: 60)
        _ = try? TestLibvirtd.virshBlocking(["undefine", self.name], timeoutSeconds: 60)
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    private func xml(memoryMiB: Int, statsPeriodSeconds: Int) -> String {
        // type='qemu' is TCG: nested KVM hangs on the lab machine (contrib/lab/vm/README.md). No NIC: the guest only
        // needs its balloon driver, and a network would need libvirt's default network (a bridge and dnsmasq).
        """
        <domain type='qemu'>
          <name>\(self.name)</name>
          <memory unit='MiB'>\(memoryMiB)</memory>
          <currentMemory unit='MiB'>\(memoryMiB)</currentMemory>
          <vcpu>1</vcpu>
          <os>
            <type arch='x86_64' machine='q35'>hvm</type>
            <kernel>\(self.directory)/vmlinuz</kernel>
            <initrd>\(self.directory)/initramfs.cpio.gz</initrd>
            <cmdline>console=ttyS0 panic=-1 quiet</cmdline>
          </os>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>destroy</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <serial type='file'><source path='\(self.directory)/serial.log'/><target port='0'/></serial>
            <memballoon model='virtio'><stats period='\(statsPeriodSeconds)'/></memballoon>
          </devices>
        </domain>
        """
    }
}
