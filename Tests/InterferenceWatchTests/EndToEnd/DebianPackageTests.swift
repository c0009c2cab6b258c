import Foundation
import Glibc
import Testing

/// `scripts/build-deb.sh`: the package installs on this machine with `dpkg -i`, its binary runs as the package's
/// own user on the fixture tree and serves `/metrics`, and `dpkg --purge` takes everything away again.
///
/// `IW_DEB` names a package built before (`scripts/test.sh` builds one ahead of the suite, so the release build
/// does not compete with the live tests for the two cores); without it the test builds one, the static release
/// binary included (about 9 minutes cold, seconds when `.build-release` is warm).
@Suite(.serialized, .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg-deb")
                                && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                             "needs root, dpkg and setpriv to install the package"))
struct DebianPackageTests {
    static let name = "interference-watch"
    static let installed = ["/usr/bin/interference-watch", "/lib/systemd/system/interference-watch.service",
                            "/etc/default/interference-watch", "/etc/interference-watch/config.yaml",
                            "/usr/share/man/man1/interference-watch.1.gz", "/usr/share/doc/interference-watch/copyright"]

    static func package() async throws -> String {
        if let deb = ProcessInfo.processInfo.environment["IW_DEB"] { return deb }
        let output = NSTemporaryDirectory() + "iw-deb-" + UUID().uuidString
        let started = Date()
        let build = try await Command.run([TestPaths.packageRoot.appendingPathComponent("scripts/build-deb.sh").path, "--output", output],
                                    timeoutSeconds: 1800)
        print("build-deb.sh: \(Int(Date().timeIntervalSince(started))) s")
        try #require(build.status == 0, "\(build)")
        return build.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func passwd(_ user: String) throws -> [String]? {
        let entry = try Command.runBlocking(["getent", "passwd", user])
        return entry.status == 0 ? entry.stdout.trimmingCharacters(in: .newlines).components(separatedBy: ":") : nil
    }

    static func packageInstalled() throws -> Bool {
        try Command.runBlocking(["dpkg-query", "-W", "-f", "${Status}", Self.name]).stdout.contains("ok installed")
    }

    @Test func installsRunsAsItsUserAndPurgesCleanly() async throws {
        // Someone's own installation or user is never touched: the test needs a machine without either.
        try #require(try !Self.packageInstalled(), "\(Self.name) is installed on this machine; dpkg --purge it to run this test")
        try #require(try Self.passwd(Self.name) == nil, "a user \(Self.name) exists already; this test creates and removes it")
        let deb = try await Self.package()
        let info = try await Command.run(["dpkg-deb", "--info", deb])
        #expect(info.stdout.contains("Package: \(Self.name)") && info.stdout.contains("Depends: adduser"), "\(info)")

        let install = try await Command.run(["dpkg", "-i", deb], environment: ["DEBIAN_FRONTEND": "noninteractive"], timeoutSeconds: 120)
        var purged = false
        defer { if !purged { _ = try? Command.runBlocking(["dpkg", "--purge", Self.name], timeoutSeconds: 120) } }
        try #require(install.status == 0, "\(install)")

        for path in Self.installed { #expect(FileManager.default.fileExists(atPath: path), "\(path) not installed") }
        let unit = try String(contentsOfFile: "/lib/systemd/system/interference-watch.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/interference-watch run ") && unit.contains("User=interference-watch")
                && unit.contains("ProtectSystem=strict"), "\(unit)")
        let conffiles = try await Command.run(["dpkg-query", "-W", "-f", "${Conffiles}", Self.name]).stdout
        #expect(conffiles.contains("/etc/default/interference-watch") && conffiles.contains("/etc/interference-watch/config.yaml"), "\(conffiles)")
        let man = try await Command.run(["zcat", "/usr/share/man/man1/interference-watch.1.gz"]).stdout
        #expect(man.hasPrefix(".TH INTERFERENCE-WATCH 1") && man.contains("--path.procfs") && man.contains(".SH \"REPORT\""), "\(man.prefix(500))")
        #expect(try await Command.run(["/usr/bin/interference-watch", "check-config", "/etc/interference-watch/config.yaml"]).status == 0)

        // A system user with no login, owning the history directory.
        let user = try #require(try Self.passwd(Self.name))
        let uid = try #require(Int(user[2])), gid = try #require(Int(user[3]))
        #expect(uid < 1000 && user[5] == "/var/lib/interference-watch" && user[6] == "/usr/sbin/nologin", "\(user)")
        let owner = try FileManager.default.attributesOfItem(atPath: "/var/lib/interference-watch")[.ownerAccountID] as? Int
        #expect(owner == uid)

        // The installed binary as that user, with no groups and no capabilities, on the fixture tree, with the
        // package's config. Its history goes to a directory of its own: where systemd runs, postinst has started the
        // unit on /var/lib/interference-watch.
        let root = TestPaths.fixture("v2-psi")
        let tree = try TemporaryTree()
        let storage = tree.root + "/state"
        try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
        #expect(chown(storage, uid_t(uid), gid_t(gid)) == 0 && chmod(tree.root, 0o755) == 0)
        let daemon = try await DaemonProcess(
            arguments: ["--config", "/etc/interference-watch/config.yaml", "--path.procfs", root + "/proc", "--path.sysfs", root + "/sys",
                        "--collection.interval", "1h", "--storage.path", storage, "--no-collector.process"],
            launcher: ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"],
            binary: "/usr/bin/interference-watch")
        let metrics = Exposition(text: try await daemon.get("/metrics").body)
        for collector in ["meminfo", "vmstat", "pressure", "cgroup"] {
            #expect(metrics.value("interferencewatch_collector_success", ["collector": collector]) == 1, "\(collector): \(daemon.log.suffix(1500))")
        }
        #expect(!metrics.lines("interferencewatch_workload_memory_usage_bytes").isEmpty)
        let status = try String(contentsOfFile: "/proc/\(daemon.process.processIdentifier)/status", encoding: .utf8)
        #expect(status.split(separator: "\n").contains { $0.hasPrefix("Uid:\t\(uid)\t") }, "\(status.prefix(400))")
        #expect(await eventually(within: 10) { FileManager.default.fileExists(atPath: storage + "/history.sqlite") })
        #expect(try FileManager.default.attributesOfItem(atPath: storage + "/history.sqlite")[.ownerAccountID] as? Int == uid)
        #expect(daemon.stop() == 0, "\(daemon.log.suffix(1500))")

        let purge = try await Command.run(["dpkg", "--purge", Self.name], timeoutSeconds: 120)
        purged = true
        #expect(purge.status == 0, "\(purge)")
        #expect(try !Self.packageInstalled())
        for path in Self.installed + ["/etc/interference-watch", "/var/lib/interference-watch",
                                      "/etc/systemd/system/multi-user.target.wants/interference-watch.service"] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) left after purge")
        }
        #expect(try Self.passwd(Self.name) == nil, "user left after purge")
        #expect(try await Command.run(["getent", "group", Self.name]).status != 0, "group left after purge")
    }
}
