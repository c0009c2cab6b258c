import Foundation
import NIOCore
import Parsers

/// The QMP protocol on one channel: greeting, command/reply matching by `id`, event demultiplexing, timeouts.
///
/// Lives entirely on the channel's event loop, so its state needs no lock; ``QMPConnection`` reaches it through
/// `NIOLoopBound`. Timeouts are event-loop timers, so waiting never parks a thread of Swift's cooperative pool.
///
/// Once anything breaks the stream (garbage, a line too long, the peer closing, a timeout) every pending and future
/// command fails with that same error and the channel is closed: after a desync no later reply can be trusted.
final class QMPChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var command: String
        var promise: EventLoopPromise<QMPValue>
        var timer: Scheduled<Void>?
    }

    private let socketPath: String
    private let onEvent: @Sendable (QMPEvent) -> Void
    private let greetingPromise: EventLoopPromise<QMPValue>
    private let greetingTimeout: TimeAmount
    private var greetingTimer: Scheduled<Void>?
    private var greeted = false
    private var pending: [String: Pending] = [:]
    /// Ids in send order: QEMU answers in order, so an id-less error reply belongs to the oldest command.
    private var order: [String] = []
    private var nextID = 1
    private var failure: QMPError?
    private var context: ChannelHandlerContext?
    private let encoder = JSONEncoder()

    /// - Parameters:
    ///   - socketPath: named in every error.
    ///   - greetingPromise: completed with the greeting's `QMP` object, or failed.
    ///   - greetingTimeout: how long to wait for the greeting after the connection is up.
    ///   - onEvent: called on the event loop for every event, in arrival order.
    init(socketPath: String, greetingPromise: EventLoopPromise<QMPValue>, greetingTimeout: TimeAmount,
         onEvent: @escaping @Sendable (QMPEvent) -> Void) {
        self.socketPath = socketPath
        self.greetingPromise = greetingPromise
        self.greetingTimeout = greetingTimeout
        self.onEvent = onEvent
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { self.startGreetingTimer(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.fail(QMPError(socketPath: self.socketPath, kind: .closed), context: nil)
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.startGreetingTimer(context: context)
        context.fireChannelActive()
    }

    private func startGreetingTimer(context: ChannelHandlerContext) {
        guard self.greetingTimer == nil, !self.greeted else { return }
        let timeout = self.greetingTimeout
        let seconds = Double(timeout.nanoseconds) / 1e9
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.greetingTimer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            guard !handler.greeted else { return }
            handler.fail(QMPError(socketPath: handler.socketPath, kind: .noGreeting(timeoutSeconds: seconds)),
                         context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = Self.unwrapInboundIn(data)
        let message: QMPMessage
        do {
            message = try QMPMessage.parse(line.readableBytesView)
        } catch {
            let reason: String
            switch error {
            case .invalidJSON(let detail): reason = "invalid JSON: \(detail)"
            case .unknownShape(let detail): reason = detail
            }
            self.fail(
                QMPError(socketPath: self.socketPath,
                         kind: .malformedMessage(reason: reason, excerpt: Self.excerpt(line))),
                context: context)
            return
        }
        switch message {
        case .greeting(let value):
            guard !self.greeted else { return }  // A repeated greeting is harmless; ignore it.
            self.greeted = true
            self.greetingTimer?.cancel()
            self.greetingPromise.succeed(value)
        case .event(let event):
            self.onEvent(event)
        case .reply(let id, let result):
            let key = id ?? self.order.first
            guard let key, let entry = self.pending.removeValue(forKey: key) else {
                // A late reply to a command that already timed out: nothing waits for it any more.
                return
            }
            self.order.removeAll { $0 == key }
            entry.timer?.cancel()
            switch result {
            case .success(let value):
                entry.promise.succeed(value)
            case .failure(let errorClass, let description):
                entry.promise.fail(
                    QMPError(socketPath: self.socketPath,
                             kind: .commandFailed(command: entry.command, errorClass: errorClass,
                                                  description: description)))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let during: String
        if !self.greeted {
            during = "the greeting"
        } else if let oldest = self.order.first, let command = self.pending[oldest]?.command {
            during = command
        } else {
            during = "idle"
        }
        self.fail(QMPError(socketPath: self.socketPath, kind: .connectionClosed(during: during)), context: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let kind: QMPError.Kind
        if let tooLong = error as? QMPLineDecoder.LineTooLong {
            kind = .lineTooLong(limit: tooLong.limit)
        } else if let qmp = error as? QMPError {
            kind = qmp.kind
        } else {
            kind = .connectionClosed(during: "read: \(error)")
        }
        self.fail(QMPError(socketPath: self.socketPath, kind: kind), context: context)
    }

    /// Sends one command; `promise` completes with its `return` value or a ``QMPError``. Event loop only.
    func send(command: String, arguments: QMPValue?, timeout: TimeAmount, promise: EventLoopPromise<QMPValue>) {
        if let failure = self.failure {
            promise.fail(failure)
            return
        }
        guard let context = self.context else {
            promise.fail(QMPError(socketPath: self.socketPath, kind: .closed))
            return
        }
        let id = "iw-\(self.nextID)"
        self.nextID += 1
        var envelope: [String: QMPValue] = ["execute": .string(command), "id": .string(id)]
        if let arguments { envelope["arguments"] = arguments }
        var bytes: Data
        do {
            bytes = try self.encoder.encode(QMPValue.object(envelope))
        } catch {
            promise.fail(QMPError(socketPath: self.socketPath,
                                  kind: .unexpectedReply(command: command, detail: "cannot encode: \(error)")))
            return
        }
        bytes.append(UInt8(ascii: "\n"))
        let seconds = Double(timeout.nanoseconds) / 1e9
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            guard handler.pending[id] != nil else { return }
            // A monitor that does not answer is stuck or not QEMU; later replies would be out of step.
            handler.fail(QMPError(socketPath: handler.socketPath,
                                  kind: .timeout(command: command, timeoutSeconds: seconds)),
                         context: context)
        }
        self.pending[id] = Pending(command: command, promise: promise, timer: timer)
        self.order.append(id)
        context.writeAndFlush(Self.wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    /// Fails the greeting and every pending command with `error`, remembers it for later sends, and closes.
    private func fail(_ error: QMPError, context: ChannelHandlerContext?) {
        if self.failure == nil { self.failure = error }
        let failure = self.failure!
        self.greetingTimer?.cancel()
        if !self.greeted {
            self.greeted = true  // The greeting can no longer come; completes the promise exactly once.
            self.greetingPromise.fail(failure)
        }
        let entries = self.pending
        self.pending = [:]
        self.order = []
        for id in entries.keys.sorted() {
            entries[id]!.timer?.cancel()
            entries[id]!.promise.fail(failure)
        }
        context?.close(promise: nil)
    }

    /// The start of an offending line, for the error message; non-printable bytes escaped.
    private static func excerpt(_ line: ByteBuffer, limit: Int = 120) -> String {
        let bytes = line.readableBytesView.prefix(limit)
        var text = String(decoding: bytes, as: UTF8.self)
            .unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
            .joined()
        if line.readableBytes > limit { text += "..." }
        return text
    }
}
