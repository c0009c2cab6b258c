import NIOCore
import NIOPosix
import Parsers

/// One open, negotiated QMP session on a UNIX socket.
///
/// ``connect(socketPath:eventLoopGroup:timeouts:onEvent:)`` connects, waits for the greeting and sends
/// `qmp_capabilities`; ``execute(_:arguments:timeout:)`` then runs commands. Commands may overlap; replies are matched
/// by `id`. Events go to `onEvent` as they arrive, interleaved with replies. After any transport failure the
/// connection is dead (``isOpen`` is `false`) and every call fails with the same ``QMPError``: make a new one.
final class QMPConnection: Sendable {
    /// How long each phase may take.
    struct Timeouts: Sendable, Equatable {
        /// `connect(2)` on the socket.
        var connect: Duration = .seconds(2)
        /// From connected to the greeting line. A socket held by another client never greets.
        var greeting: Duration = .seconds(2)
        /// Each command, from write to reply.
        var command: Duration = .seconds(2)

        init(connect: Duration = .seconds(2), greeting: Duration = .seconds(2), command: Duration = .seconds(2)) {
            self.connect = connect
            self.greeting = greeting
            self.command = command
        }
    }

    /// The socket this connection talks to.
    let socketPath: String
    /// The greeting's `QMP` object (`version`, `capabilities`).
    let greeting: QMPValue
    private let channel: any Channel
    private let handler: NIOLoopBound<QMPChannelHandler>
    private let commandTimeout: Duration

    private init(socketPath: String, greeting: QMPValue, channel: any Channel,
                 handler: NIOLoopBound<QMPChannelHandler>, commandTimeout: Duration) {
        self.socketPath = socketPath
        self.greeting = greeting
        self.channel = channel
        self.handler = handler
        self.commandTimeout = commandTimeout
    }

    /// Connects to `socketPath`, reads the greeting and negotiates capabilities.
    ///
    /// - Parameters:
    ///   - socketPath: the `-qmp unix:<path>,server=on` socket.
    ///   - eventLoopGroup: where the I/O runs.
    ///   - timeouts: per-phase limits.
    ///   - onEvent: called (on an event-loop thread) for every event, in order; keep it short.
    /// - Throws: ``QMPError``; `.noGreeting` when the socket is held by another client.
    static func connect(socketPath: String, eventLoopGroup: any EventLoopGroup, timeouts: Timeouts = Timeouts(),
                        onEvent: @escaping @Sendable (QMPEvent) -> Void) async throws(QMPError) -> QMPConnection {
        let greetingTimeout = TimeAmount(timeouts.greeting)
        let eventLoop = eventLoopGroup.next()
        let greetingPromise = eventLoop.makePromise(of: QMPValue.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(timeouts.connect))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = QMPChannelHandler(socketPath: socketPath, greetingPromise: greetingPromise,
                                                        greetingTimeout: greetingTimeout, onEvent: onEvent)
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(QMPLineDecoder()))
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(unixDomainSocketPath: socketPath)
                .get()
        } catch {
            // The initializer never ran, so nothing else will complete the promise.
            greetingPromise.fail(QMPError(socketPath: socketPath, kind: .connectFailed("\(error)")))
            throw QMPError(socketPath: socketPath, kind: .connectFailed(Self.describeConnectError(error)))
        }
        let handler: NIOLoopBound<QMPChannelHandler>
        do {
            handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: QMPChannelHandler.self),
                             eventLoop: channel.eventLoop)
            }.get()
        } catch {
            channel.close(promise: nil)
            throw QMPError(socketPath: socketPath, kind: .connectionClosed(during: "setup"))
        }
        let greeting: QMPValue
        do {
            greeting = try await greetingPromise.futureResult.get()
        } catch {
            channel.close(promise: nil)
            throw Self.qmpError(error, socketPath: socketPath, command: "greeting")
        }
        let connection = QMPConnection(socketPath: socketPath, greeting: greeting, channel: channel,
                                       handler: handler, commandTimeout: timeouts.command)
        do {
            _ = try await connection.execute("qmp_capabilities")
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// `false` once the channel has closed for any reason.
    var isOpen: Bool { self.channel.isActive }

    /// Runs one command and returns its `return` value.
    ///
    /// - Parameters:
    ///   - command: the `execute` name, e.g. `query-balloon`.
    ///   - arguments: the `arguments` object, if any.
    ///   - timeout: overrides the connection's command timeout.
    /// - Throws: ``QMPError``: `.commandFailed` leaves the connection usable; anything else has closed it.
    @discardableResult
    func execute(_ command: String, arguments: QMPValue? = nil, timeout: Duration? = nil) async throws(QMPError)
        -> QMPValue
    {
        let eventLoop = self.channel.eventLoop
        let promise = eventLoop.makePromise(of: QMPValue.self)
        let amount = TimeAmount(timeout ?? self.commandTimeout)
        let handler = self.handler
        eventLoop.execute {
            handler.value.send(command: command, arguments: arguments, timeout: amount, promise: promise)
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            throw Self.qmpError(error, socketPath: self.socketPath, command: command)
        }
    }

    /// Closes the socket; pending commands fail with `.closed`. Safe to call more than once.
    func close() {
        self.channel.close(promise: nil)
    }

    private static func qmpError(_ error: any Error, socketPath: String, command: String) -> QMPError {
        if let error = error as? QMPError { return error }
        return QMPError(socketPath: socketPath, kind: .connectionClosed(during: "\(command): \(error)"))
    }

    /// NIO's connect errors wrap errno; turn the common ones into words an operator recognises.
    private static func describeConnectError(_ error: any Error) -> String {
        if let ioError = error as? IOError {
            switch ioError.errnoCode {
            case ENOENT: return "no such socket (is QEMU running with -qmp unix:...,server=on?)"
            case ECONNREFUSED: return "connection refused (QEMU has exited or the socket is stale)"
            case EACCES: return "permission denied"
            default: return "\(ioError)"
            }
        }
        if error is ChannelError, case .connectTimeout = error as! ChannelError {
            return "connect timed out"
        }
        return "\(error)"
    }
}

extension QMPConnection {
    /// Linux `struct ucred` (pid, uid, gid: three 32-bit fields); glibc only declares it under `_GNU_SOURCE`,
    /// which the Swift Glibc module does not set.
    private struct PeerCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// The process id of the peer (QEMU) from `SO_PEERCRED`; `nil` if the kernel does not say.
    func peerPID() async -> Int32? {
        #if os(Linux)
        guard let provider = self.channel as? any SocketOptionProvider else { return nil }
        do {
            let credentials: PeerCredentials = try await provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
            ).get()
            return credentials.pid > 0 ? credentials.pid : nil
        } catch {
            return nil
        }
        #else
        return nil
        #endif
    }
}
