@testable import Parsers
import Detectors
import Foundation
import Glibc
import Logging
import Testing

@testable import InterferenceWatch

/// Socket discovery and re-discovery, on real (listening-free) Unix socket files in a temporary directory.
struct VMDiscoveryTests {
    /// Creates a Unix socket file at `path` (bound, never listening: enough for glob and `stat`).
    static func makeSocketFile(_ path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            let bytes = Array(path.utf8.prefix(buffer.count - 1))
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0 else { throw POSIXError(.init(rawValue: errno)!) }
    }

    @Test func globsOnlyExistingSocketsAndKeepsLiteralPaths() throws {
        let tree = try TemporaryTree()
        try Self.makeSocketFile(tree.root + "/web1.sock")
        try Self.makeSocketFile(tree.root + "/web2.sock")
        try tree.write("stale.sock.txt", "not a socket")
        try tree.write("fake.sock", "a regular file")
        let discovery = QMPSocketDiscovery(patterns: [tree.root + "/*.sock", tree.root + "/web1.sock",
                                                      "/nonexistent/dead.sock"])
        #expect(discovery.socketPaths() == ["/nonexistent/dead.sock", tree.root + "/web1.sock",
                                            tree.root + "/web2.sock"])
    }

    @Test func refreshAddsNewSocketsAndDropsRemovedOnes() throws {
        let tree = try TemporaryTree()
        try Self.makeSocketFile(tree.root + "/a.sock")
        let fleet = QMPFleet(discovery: QMPSocketDiscovery(patterns: [tree.root + "/*.sock"]),
                             logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(fleet.refresh().added == [tree.root + "/a.sock"])
        #expect(fleet.readings().map(\.sample.name) == ["a"])
        #expect(fleet.readings().map(\.sample.up) == [false])  // Not polled yet.

        try Self.makeSocketFile(tree.root + "/b.sock")
        try tree.remove("a.sock")
        let change = fleet.refresh()
        #expect(change.added == [tree.root + "/b.sock"])
        #expect(change.removed == [tree.root + "/a.sock"])
        #expect(fleet.socketPaths == [tree.root + "/b.sock"])
        #expect(fleet.refresh() == ([], []))
        #expect(fleet.takeVanished() == 1)
        #expect(fleet.takeVanished() == 0)  // Taken once.
    }

    /// A globbed VM whose QEMU exits is dropped as soon as its own poll finds the socket gone, long before the next
    /// glob expansion, and counted as vanished; a literal path is kept (down) however its socket fares.
    @Test func exitedVMIsDroppedByItsMonitorNotReportedAsFailing() async throws {
        let directory = try TemporaryTree()
        let globbed = try MockQMPPeer(behavior: .healthy, directory: directory.root)
        let named = try MockQMPPeer(behavior: .healthy)
        defer { named.stop() }
        let logs = TestLogHandlerStore()
        let configuration = QMPConfiguration(pollInterval: .milliseconds(100),
                                             timeouts: .init(connect: .seconds(5), greeting: .seconds(5), command: .seconds(5)),
                                             backoff: .init(initial: .milliseconds(100), maximum: .milliseconds(400)))
        let fleet = QMPFleet(discovery: QMPSocketDiscovery(patterns: [directory.root + "/*.sock", named.socketPath]),
                             configuration: configuration, rediscoveryInterval: .seconds(3600), logger: logs.logger())
        let run = Task { await fleet.run() }
        defer { run.cancel() }
        #expect(await eventually(within: 90) { fleet.readings().count == 2 && fleet.readings().allSatisfy(\.sample.up) },
                "\(fleet.readings().map(\.sample.error))")

        globbed.stop()
        named.stop()
        // Only the named VM is left, down; the globbed one is gone without a glob expansion (an hour away).
        #expect(await eventually(within: 90) { fleet.socketPaths == [named.socketPath] }, "\(fleet.socketPaths)")
        #expect(fleet.takeVanished() == 1)
        #expect(await eventually(within: 90) { fleet.readings().first.map { !$0.sample.up } == true })
        #expect(fleet.readings().map(\.socketPath) == [named.socketPath])
        let warnings = logs.all.filter { $0.level >= .warning }
        #expect(warnings.allSatisfy { $0.metadata["qmp.socket"] == "\(named.socketPath)" },
                "\(warnings.map(\.metadata))")
        #expect(logs.all.contains { $0.message == "QMP socket gone, VM dropped"
            && $0.metadata["qmp.socket"] == "\(globbed.socketPath)" })
    }
}
