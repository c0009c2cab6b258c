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
    }
}
