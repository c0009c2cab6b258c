import Foundation

/// Rootful podman (Debian's `podman` 4.3) with all of its state in a temporary directory, for the live container test.
///
/// `--root`, `--runroot` and `--tmpdir` keep images, containers and podman's database out of `/var/lib/containers`
/// and `/run/libpod`, so ``remove()`` leaves the machine as it was. The other global options are what this machine
/// needs: no systemd, so `--cgroup-manager cgroupfs` (containers in `/libpod_parent/libpod-<id>` under every v1
/// controller, conmon in `/libpod_parent/conmon`) and `--events-backend file` (no journald); `vfs` storage, which
/// needs no overlay mount on a root that may be an overlay itself.
struct TestPodman: Sendable {
    static let podman = "/usr/bin/podman"

    /// Root, podman, runc (Debian's podman falls back to it without crun), a static busybox for the image, and a v1
    /// memory hierarchy (the test compares with the kernel's `memory.usage_in_bytes`).
    static let available: Bool = {
        getuid() == 0 && [podman, "/usr/sbin/runc", "/bin/busybox"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        } && FileManager.default.fileExists(atPath: LiveCgroup.memoryRoot + "/memory.usage_in_bytes")
    }()

    let directory: String
    /// The image ``importImage()`` made.
    let image = "localhost/iw-test-busybox:latest"

    init() throws {
        self.directory = NSTemporaryDirectory() + "iw-podman-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: self.directory + "/rootfs/bin", withIntermediateDirectories: true)
    }

    /// Runs `podman <global options> <arguments>` under `timeout(1)`.
    ///
    /// Output goes to files and podman runs through ``Command/closingInheritedDescriptors(_:)``: `podman run
    /// --detach` leaves conmon running with every descriptor podman inherited, which would keep pipes (and the
    /// descriptor Foundation's `Process` watches for the exit) open for the container's whole life.
    func run(_ arguments: [String], timeoutSeconds: Int = 120) async throws -> Command.Result {
        try await offPool { try self.runBlocking(arguments, timeoutSeconds: timeoutSeconds) }
    }

    /// ``run(_:timeoutSeconds:)`` holding the calling thread, for clean-up that cannot suspend.
    func runBlocking(_ arguments: [String], timeoutSeconds: Int = 120) throws -> Command.Result {
        let command = Command.closingInheritedDescriptors([
            "/usr/bin/timeout", "--kill-after=10", "\(timeoutSeconds)", Self.podman,
            "--root", self.directory + "/storage", "--runroot", self.directory + "/run", "--tmpdir", self.directory + "/tmp",
            "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
        ] + arguments)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let output = self.directory + "/podman-" + UUID().uuidString
        FileManager.default.createFile(atPath: output + ".out", contents: nil)
        FileManager.default.createFile(atPath: output + ".err", contents: nil)
        defer { try? FileManager.default.removeItem(atPath: output + ".out") }
        defer { try? FileManager.default.removeItem(atPath: output + ".err") }
        let stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: output + ".out"))
        let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: output + ".err"))
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try? stdout.close()
        try? stderr.close()
        let status = process.terminationStatus
        return Command.Result(status: status,
                              stdout: (try? String(contentsOfFile: output + ".out", encoding: .utf8)) ?? "",
                              stderr: (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? "",
                              timedOut: status == 124 || status == 137)
    }

    /// Imports a rootfs of busybox-static (no registry): `podman import` of a tar made here.
    func importImage() async throws {
        let rootfs = self.directory + "/rootfs"
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for applet in ["sh", "head", "sleep", "cat"] {
            try FileManager.default.createSymbolicLink(atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
        }
        for directory in ["dev", "proc", "sys", "tmp"] {
            try FileManager.default.createDirectory(atPath: rootfs + "/" + directory, withIntermediateDirectories: true)
        }
        let tar = try await Command.run(["tar", "-C", rootfs, "-cf", self.directory + "/rootfs.tar", "."])
        guard tar.status == 0 else { throw QEMULab.LabError(message: "tar: \(tar)") }
        let imported = try await self.run(["import", "--quiet", self.directory + "/rootfs.tar", self.image])
        guard imported.status == 0 else { throw QEMULab.LabError(message: "podman import: \(imported)") }
    }

    /// Starts a detached container running `script` under busybox sh; returns its full id.
    ///
    /// No network (nothing to reach, and no CNI bridge or firewall rules). `--ulimit`: podman otherwise raises
    /// `RLIMIT_NOFILE`/`RLIMIT_NPROC` above this sandbox's hard limits and runc's init fails with EPERM.
    func startContainer(name: String, script: String) async throws -> String {
        let result = try await self.run(["run", "--detach", "--name", name, "--network", "none",
                                   "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                                   self.image, "sh", "-c", script])
        let id = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, id.count == 64 else { throw QEMULab.LabError(message: "podman run \(name): \(result)") }
        return id
    }

    /// Removes every container and image, podman's empty `/libpod_parent` cgroups and the directory. Errors are
    /// ignored (a failed test may have made none of them). Synchronous, for `defer`.
    func remove() {
        _ = try? self.runBlocking(["rm", "--all", "--force", "--time", "0"])
        _ = try? self.runBlocking(["rmi", "--all", "--force"])
        if let controllers = try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup") {
            for controller in controllers {
                // rmdir only succeeds on an empty cgroup: another podman's containers keep theirs.
                rmdir("/sys/fs/cgroup/\(controller)/libpod_parent/conmon")
                rmdir("/sys/fs/cgroup/\(controller)/libpod_parent")
            }
        }
        // A container podman could not remove may still have its /dev/shm tmpfs mounted below the directory.
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 1, fields[1].hasPrefix(self.directory + "/") {
                _ = try? Command.runBlocking(["umount", "--lazy", String(fields[1])])
            }
        }
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}
