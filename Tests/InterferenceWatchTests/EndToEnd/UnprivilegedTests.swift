import Foundation
import Glibc
import Testing

/// The daemon needs no privilege to collect and serve: run as `nobody` (no groups, no capabilities) on the fixture
/// trees, every collector works, the process really runs as that user, and it keeps its code to the pages it uses.
@Suite(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root to drop to nobody"))
struct UnprivilegedTests {
    @Test func theDaemonRunsAsNobodyOnTheFixtureTrees() async throws {
        let tree = try TemporaryTree()
        let storage = tree.root + "/state"
        try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
        #expect(chown(storage, 65534, 65534) == 0 && chmod(tree.root, 0o755) == 0)
        let root = TestPaths.fixture("v2-psi")
        let daemon = try await DaemonProcess(
            arguments: ["--path.procfs", root + "/proc", "--path.sysfs", root + "/sys", "--collection.interval", "1h",
                        "--storage.path", storage, "--no-collector.process"],
            launcher: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"])
        defer { daemon.stop() }
        let metrics = Exposition(text: try await daemon.get("/metrics").body)
        for collector in ["meminfo", "vmstat", "pressure", "cgroup"] {
            #expect(metrics.value("interferencewatch_collector_success", ["collector": collector]) == 1, "\(collector): \(daemon.log.suffix(1500))")
        }
        #expect(!metrics.lines("interferencewatch_workload_memory_usage_bytes").isEmpty)
        // setpriv execs the binary: the daemon's own process runs as nobody, and its history file belongs to nobody.
        let status = try String(contentsOfFile: "/proc/\(daemon.process.processIdentifier)/status", encoding: .utf8)
        let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(separator: "\t").dropFirst().first
        #expect(uid == "65534", "\(status.prefix(400))")
        #expect(await eventually(within: 10) { FileManager.default.fileExists(atPath: storage + "/history.sqlite") })
        let owner = try FileManager.default.attributesOfItem(atPath: storage + "/history.sqlite")[.ownerAccountID] as? Int
        #expect(owner == 65534)
        // Fault-around is turned off without privilege too (a user-mode-only userfaultfd, allowed whatever
        // vm.unprivileged_userfaultfd says).
        #expect(daemon.log.contains("fault-around off for the daemon's code and libraries") == KernelRelease.hasAsyncWriteProtection,
                "\(daemon.log.prefix(1500))")
    }
}
