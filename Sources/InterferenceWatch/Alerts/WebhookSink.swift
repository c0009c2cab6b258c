import AsyncHTTPClient

import Detectors
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// A generic webhook: one JSON document per firing or resolved transition, POSTed in order, retried with exponential
/// backoff; with a secret, signed (`X-InterferenceWatch-Signature: sha256=<hex HMAC-SHA256 of the body>`) so the
/// receiver can check the sender.
///
/// The queue is bounded: when the receiver stays down and it fills, the oldest documents are dropped and counted.
/// A failure is logged once per outage. Nothing here ever waits on the evaluation that queued the document.
final class WebhookSink: AlertSink, Service, Sendable {
    struct Document: Encodable, Sendable {
        var version = 1
        var status: String
        var transition: String
        var atSeconds: Double
        var alert: Alert
        var generatorURL: String
    }

    let url: String
    private let secret: [UInt8]?
    private let counters: NotificationCounters
    private let logger: Logger
    private let client: HTTPClient
    private let maxQueued: Int
    private let timeout: Duration
    private let maxBackoff: Duration
    private let generatorURL: @Sendable (Alert) -> String
    private let queue = Mutex<[Data]>([])
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    var name: String { "webhook" }

    init(url: String, secret: [UInt8]?, counters: NotificationCounters, client: HTTPClient = .shared, maxQueued: Int = 1000,
         timeout: Duration = .seconds(10), maxBackoff: Duration = .seconds(60),
         generatorURL: @escaping @Sendable (Alert) -> String, logger: Logger) {
        self.url = url
        self.secret = secret
        self.counters = counters
        self.client = client
        self.maxQueued = maxQueued
        self.timeout = timeout
        self.maxBackoff = maxBackoff
        self.generatorURL = generatorURL
        (self.wakeups, self.wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        var logger = logger
        logger[metadataKey: "webhook.url"] = "\(url)"
        self.logger = logger
        counters.declare(self.name)
    }

    func notify(_ transitions: [AlertLifecycle.Transition]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var documents: [Data] = []
        for transition in transitions where transition.to == .firing || transition.to == .resolved {
            let document = Document(status: transition.to.rawValue, transition: "\(transition.from.rawValue)->\(transition.to.rawValue)",
                                    atSeconds: transition.atSeconds, alert: transition.alert, generatorURL: self.generatorURL(transition.alert))
            if let data = try? encoder.encode(document) { documents.append(data) }
        }
        guard !documents.isEmpty else { return }
        let dropped = self.queue.withLock { queue -> Int in
            queue += documents
            let over = max(0, queue.count - self.maxQueued)
            queue.removeFirst(over)
            return over
        }
        if dropped > 0 { self.counters.count(self.name, .dropped, UInt64(dropped)) }
        self.wake.yield()
    }

    /// The HMAC-SHA256 signature header value of a body.
    static func signature(of body: Data, secret: [UInt8]) -> String {
        "sha256=" + HMACSHA256.hex(HMACSHA256.authenticationCode(for: Array(body), key: secret))
    }

    func run() async throws {
        var failing = false
        var backoff = Duration.milliseconds(500)
        for await _ in self.wakeups.cancelOnGracefulShutdown() {
            while let next = self.queue.withLock({ $0.first }) {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                do {
                    try await self.send(next)
                    self.queue.withLock { queue in if queue.first == next { queue.removeFirst() } }
                    self.counters.count(self.name, .sent)
                    if failing { self.logger.info("webhook delivers again") }
                    failing = false
                    backoff = .milliseconds(500)
                } catch {
                    self.counters.count(self.name, .failed)
                    if !failing { self.logger.warning("webhook delivery failed, retrying with backoff", metadata: ["error": "\(error)"]) }
                    failing = true
                    do { try await Task.sleep(for: backoff) } catch { return }
                    backoff = min(backoff * 2, self.maxBackoff)
                }
            }
        }
    }

    private func send(_ body: Data) async throws {
        var request = HTTPClientRequest(url: self.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "InterferenceWatch/\(InterferenceWatchCommand.version)")
        if let secret = self.secret { request.headers.add(name: "X-InterferenceWatch-Signature", value: Self.signature(of: body, secret: secret)) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await self.client.execute(request, timeout: .nanoseconds(Int64(self.timeout / .nanoseconds(1))))
        _ = try? await response.body.collect(upTo: 1 << 16)
        guard (200..<300).contains(Int(response.status.code)) else { throw WebhookError(status: Int(response.status.code)) }
    }

    struct WebhookError: Error, CustomStringConvertible {
        var status: Int
        var description: String { "status \(self.status)" }
    }
}
