import Detectors
@testable import Parsers
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A scripted QMP server on a temporary UNIX socket, for driving the client through good and broken peers.
///
/// Like QEMU it serves one client at a time, on its own thread with blocking I/O (the test's thread pool stays
/// free). Each accepted connection is handled according to ``behavior`` (the first connection may use a different
/// one, to test reconnection; the behavior may be changed between connections, to test recovery).
final class MockQMPPeer: Sendable {
    /// How the peer misbehaves.
    enum Behavior: String, Sendable, CaseIterable, CustomStringConvertible {
        /// Greets, negotiates and answers every command.
        case healthy
        /// Accepts the connection and never says anything (a socket held by another client looks like this).
        case noGreeting
        /// Greets, answers `qmp_capabilities`, then answers the next command with a line that is not JSON.
        case garbage
        /// Every reply is written in two parts with a pause between them.
        case splitReplies
        /// Events are written in the middle of the reply sequence (before, between and inside replies).
        case eventsBetweenReplies
        /// Greets and negotiates, then never answers again.
        case silentAfterNegotiation
        /// Greets, then closes the connection (QEMU dying mid-read).
        case closeAfterGreeting
        /// Greets, negotiates and answers the set-up commands, then sends the first half of its `query-status` reply
        /// (no newline) and holds the connection open in silence (a QEMU stuck mid-write).
        case stallMidReply

        var description: String { self.rawValue }
    }

    /// The canned guest stats (`qom-get guest-stats` value) as JSON text.
    static let noDataGuestStats = """
        {"stats": {"stat-swap-in": 18446744073709551615, "stat-swap-out": 18446744073709551615, \
        "stat-major-faults": 18446744073709551615, "stat-minor-faults": 18446744073709551615, \
        "stat-free-memory": 18446744073709551615, "stat-total-memory": 18446744073709551615, \
        "stat-available-memory": 18446744073709551615, "stat-disk-caches": 18446744073709551615, \
        "stat-htlb-pgalloc": 18446744073709551615, "stat-htlb-pgfail": 18446744073709551615}, "last-update": 0}
        """

    let socketPath: String
    private let firstBehavior: Behavior
    private let guestStats: String
    private let vmName: String
    private let listener: Int32
    private struct State {
        var behavior: Behavior
        var client: Int32 = -1
        var stopped = false
        var connections = 0
        var commands: [String] = []
    }
    private let state: Mutex<State>
    private let done = DispatchSemaphore(value: 0)

    /// Starts listening at once.
    ///
    /// - Parameters:
    ///   - behavior: how connections are served.
    ///   - firstConnection: a different behavior for the first connection only.
    ///   - guestStats: the `qom-get guest-stats` return value.
    ///   - directory: where the socket is created (a glob the daemon watches); the temporary directory by default.
    ///   - name: what `query-name` answers (VM names must be unique among a daemon's VMs).
    init(behavior: Behavior, firstConnection: Behavior? = nil, guestStats: String = MockQMPPeer.noDataGuestStats,
         directory: String = FileManager.default.temporaryDirectory.path, name: String = "mock-vm") throws
    {
        self.vmName = name
        self.state = Mutex(State(behavior: behavior))
        self.firstBehavior = firstConnection ?? behavior
        self.guestStats = guestStats
        self.socketPath = "\(directory)/iw-qmp-\(UUID().uuidString.prefix(8)).sock"
        self.listener = try Self.listen(at: self.socketPath)
        let thread = Thread { [self] in
            self.serve()
            self.done.signal()
        }
        thread.start()
    }

    /// How connections after the first are served; a change applies from the next connection on.
    var behavior: Behavior {
        get { self.state.withLock { $0.behavior } }
        set { self.state.withLock { $0.behavior = newValue } }
    }

    /// Commands received so far (`execute` names), in order, over all connections.
    var commands: [String] { self.state.withLock { $0.commands } }
    /// Connections accepted so far.
    var connections: Int { self.state.withLock { $0.connections } }

    /// Stops serving, closes every socket and removes the socket file. Only the first call does anything.
    func stop() {
        let (client, already) = self.state.withLock { state -> (Int32, Bool) in
            defer { state.stopped = true }
            return (state.client, state.stopped)
        }
        guard !already else { return }
        shutdown(self.listener, Int32(SHUT_RDWR))
        if client >= 0 { shutdown(client, Int32(SHUT_RDWR)) }
        self.done.wait()
        close(self.listener)
        unlink(self.socketPath)
    }

    private var stopped: Bool { self.state.withLock { $0.stopped } }

    private func serve() {
        while !self.stopped {
            let client = accept(self.listener, nil, nil)
            guard client >= 0 else { return }
            let (number, current) = self.state.withLock { state -> (Int, Behavior) in
                state.client = client
                state.connections += 1
                return (state.connections, state.behavior)
            }
            self.handle(client, behavior: number == 1 ? self.firstBehavior : current)
            self.state.withLock { $0.client = -1 }
            close(client)
        }
    }

    private func handle(_ fd: Int32, behavior: Behavior) {
        if behavior == .noGreeting {
            self.drain(fd)
            return
        }
        self.write(fd, #"{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "mock"}, "capabilities": ["oob"]}}"# + "\n")
        if behavior == .closeAfterGreeting { return }
        var buffer = [UInt8]()
        var negotiated = false
        while let line = self.readLine(fd, buffer: &buffer) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let command = object["execute"] as? String else { continue }
            self.state.withLock { $0.commands.append(command) }
            let id = (object["id"] as? String).map { #", "id": "\#($0)""# } ?? ""
            let arguments = object["arguments"] as? [String: Any] ?? [:]
            if negotiated {
                switch behavior {
                case .silentAfterNegotiation:
                    continue
                case .garbage:
                    self.write(fd, "this is not JSON {\n")
                    continue
                default:
                    break
                }
            }
            negotiated = true
            let reply = "{\(self.answer(command, arguments: arguments))\(id)}\n"
            if behavior == .stallMidReply && command == "query-status" {
                // Half a JSON object and no newline, then silence until the client gives up and leaves.
                self.write(fd, String(reply.prefix(reply.count / 2)))
                self.drain(fd)
                return
            }
            switch behavior {
            case .splitReplies:
                let cut = reply.index(reply.startIndex, offsetBy: reply.count / 2)
                self.write(fd, String(reply[..<cut]))
                usleep(150_000)
                self.write(fd, String(reply[cut...]))
            case .eventsBetweenReplies:
                self.write(fd, Self.event("BALLOON_CHANGE", data: #"{"actual": 402653184}"#))
                let cut = reply.index(reply.startIndex, offsetBy: reply.count / 2)
                self.write(fd, String(reply[..<cut]))
                usleep(20_000)
                self.write(fd, String(reply[cut...]) + Self.event("RESUME", data: nil))
            default:
                self.write(fd, reply)
            }
        }
    }

    /// The `"return": ...` or `"error": ...` member for `command`.
    private func answer(_ command: String, arguments: [String: Any]) -> String {
        switch command {
        case "qmp_capabilities", "qom-set", "balloon": return #""return": {}"#
        case "query-name": return #""return": {"name": "\#(self.vmName)"}"#
        case "query-status": return #""return": {"status": "running", "singlestep": false, "running": true}"#
        case "query-memory-size-summary": return #""return": {"base-memory": 536870912}"#
        case "query-balloon": return #""return": {"actual": 402653184}"#
        case "qom-list":
            if arguments["path"] as? String == "/machine/peripheral" {
                return #""return": [{"name": "type", "type": "string"}, "#
                    + #"{"name": "balloon0", "type": "child<virtio-balloon-pci>"}]"#
            }
            return #""return": []"#
        case "qom-get": return #""return": \#(self.guestStats)"#
        default:
            return #""error": {"class": "CommandNotFound", "desc": "The command \#(command) has not been found"}"#
        }
    }

    private static func event(_ name: String, data: String?) -> String {
        let payload = data.map { #", "data": \#($0)"# } ?? ""
        return #"{"event": "\#(name)"\#(payload), "timestamp": {"seconds": 1700000000, "microseconds": 250000}}"#
            + "\n"
    }

    private func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    private func readLine(_ fd: Int32, buffer: inout [UInt8]) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    /// Reads and discards until the client leaves.
    private func drain(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while chunk.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) > 0 {}
    }

    private static func listen(at path: String) throws -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8.prefix(raw.count - 1))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 4) == 0 else {
            let error = errno
            close(fd)
            throw POSIXError(.init(rawValue: error) ?? .EIO)
        }
        return fd
    }
}
