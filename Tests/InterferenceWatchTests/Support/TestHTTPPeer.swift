import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A probed server on 127.0.0.1 that either answers every request (`200 ok`, keep-alive) or accepts connections and
/// then says nothing and never closes them: the server whose process is wedged while the kernel still completes
/// its TCP handshakes.
///
/// Plain sockets on threads of its own (blocking I/O, like ``MockQMPPeer``), so a wedged peer ties up no task of the
/// test. The behavior can change at any time; it applies to connections accepted after the change.
final class TestHTTPPeer: Sendable {
    enum Behavior: Sendable {
        /// Reads each request and answers `200` with a two-byte body, keeping the connection open.
        case answering
        /// Accepts and never reads, writes or closes.
        case silent
    }

    private struct State {
        var behavior: Behavior
        var accepted = 0
        var answered = 0
        /// Silent connections, all still open on our side until ``stop()``.
        var silent: Set<Int32> = []
        /// Answering connections; each thread closes its own when the client leaves (or at ``stop()``).
        var answering: Set<Int32> = []
        var stopped = false
    }

    let port: Int
    private let listener: Int32
    private let state: Mutex<State>
    private let done = DispatchSemaphore(value: 0)

    init(behavior: Behavior) throws {
        self.state = Mutex(State(behavior: behavior))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && Glibc.listen(fd, 64) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            let code = errno
            close(fd)
            throw POSIXError(.init(rawValue: code) ?? .EIO)
        }
        self.listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in
            self.acceptLoop()
            self.done.signal()
        }
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(self.port)/task" }

    var behavior: Behavior {
        get { self.state.withLock { $0.behavior } }
        set { self.state.withLock { $0.behavior = newValue } }
    }

    /// Connections accepted so far.
    var accepted: Int { self.state.withLock { $0.accepted } }
    /// Requests answered so far.
    var answered: Int { self.state.withLock { $0.answered } }

    /// Stops accepting and closes every connection. Only the first call does anything.
    func stop() {
        let (silent, already) = self.state.withLock { state -> (Set<Int32>, Bool) in
            defer { state.stopped = true }
            return (state.silent, state.stopped)
        }
        guard !already else { return }
        shutdown(self.listener, Int32(SHUT_RDWR))
        self.done.wait()
        close(self.listener)
        // Answering threads see end of file and close their own descriptors; the silent ones are ours to close.
        self.state.withLock { state in
            for fd in state.answering { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        for fd in silent { close(fd) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(self.listener, nil, nil)
            guard client >= 0 else { return }
            let behavior = self.state.withLock { state -> Behavior? in
                guard !state.stopped else { return nil }
                state.accepted += 1
                if state.behavior == .silent {
                    state.silent.insert(client)
                } else {
                    state.answering.insert(client)
                }
                return state.behavior
            }
            switch behavior {
            case nil:
                close(client)
                return
            case .silent:
                continue  // Held open, never read: the client's request sits in our receive buffer.
            case .answering:
                Thread { [self] in self.answer(client) }.start()
            }
        }
    }

    private func answer(_ fd: Int32) {
        var pending = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let response = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok".utf8)
        let end = Array("\r\n\r\n".utf8)
        var open = true
        while open {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            pending += chunk[..<count]
            // Requests without a body (GET): each ends at its blank line.
            while open, let range = pending.firstRange(of: end) {
                pending.removeSubrange(..<range.upperBound)
                let sent = response.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                open = sent == response.count
                if open { self.state.withLock { $0.answered += 1 } }
            }
        }
        // Under the lock, so stop() never shuts down a descriptor number already reused.
        self.state.withLock { state in
            state.answering.remove(fd)
            close(fd)
        }
    }
}
