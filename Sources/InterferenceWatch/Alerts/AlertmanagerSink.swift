import AsyncHTTPClient
import Detectors
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Sends alerts to Alertmanager's API v2 as Prometheus does: every firing alert with `endsAt` = now + 4 x the resend
/// interval, re-sent every interval; a resolved alert with `endsAt` = when it resolved, re-sent for 15 minutes; to every
/// configured Alertmanager (an HA pair gets both copies and deduplicates).
final class AlertmanagerSink: AlertSink, Service, Sendable {
    struct Target: Sendable {
        var url: String
        /// `Authorization` header value (`Bearer ...` or `Basic ...`), if any.
        var authorization: String?
        var client: HTTPClient
    }

    private let targets: [Target]
    private let resendInterval: Duration
    private let current = Mutex<[Alert]>([])
    private let generatorURL: @Sendable (Alert) -> String
    private let counters: NotificationCounters
    private let logger: Logger
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    var name: String { "alertmanager" }

    init(targets: [Target], resendInterval: Duration, generatorURL: @escaping @Sendable (Alert) -> String,
         counters: NotificationCounters, logger: Logger) {
        self.targets = targets
        self.resendInterval = resendInterval
        self.generatorURL = generatorURL
        self.counters = counters
        self.logger = logger
        (self.wakeups, self.wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        counters.declare(self.name)
    }

    /// A target from the config: auth from its files, TLS with its CA file.
    static func target(_ settings: AlertSettings.Alertmanager, file: String) throws -> Target {
        func read(_ path: String, _ key: String) throws -> String {
            try SecretFile.read(path, key: "alerts.alertmanagers." + key, file: file, line: settings.line)
        }
        var authorization: String?
        if let path = settings.bearerTokenFile { authorization = "Bearer " + (try read(path, "bearer_token_file")) }
        if let user = settings.username, let path = settings.passwordFile {
            authorization = "Basic " + Data("\(user):\(try read(path, "password_file"))".utf8).base64EncodedString()
        }
        var client = HTTPClient.shared
        if let ca = settings.caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            } catch {
                throw ConfigError(file: file, line: settings.line, message: "alerts.alertmanagers: ca_file \(ca): \(error)")
            }
            client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        }
        return Target(url: settings.url, authorization: authorization, client: client)
    }

    func update(_ reported: [Alert]) {
        self.current.withLock { $0 = reported }
    }

    func notify(_ transitions: [AlertLifecycle.Transition]) {
        if transitions.contains(where: { $0.to == .firing || $0.to == .resolved }) { self.wake.yield() }
    }

    /// The API v2 body for `alerts` at `now`.
    static func payload(_ alerts: [Alert], nowSeconds: Double, resendSeconds: Double, generatorURL: (Alert) -> String) -> [[String: Any]] {
        alerts.map { alert in
            let ends = alert.state == .resolved ? (alert.resolvedAtSeconds ?? nowSeconds) : nowSeconds + 4 * resendSeconds
            return ["labels": alert.labels, "annotations": alert.annotations,
                    "startsAt": TimeExpression.format(alert.activeSinceSeconds), "endsAt": TimeExpression.format(ends),
                    "generatorURL": generatorURL(alert)]
        }
    }

    func run() async throws {
        // Sends now and then every resend interval, and at once when an alert fires or resolves.
        let resendSeconds = Double(self.resendInterval.components.seconds)
        let ticks = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.resendInterval)
                self.wake.yield()
            }
        }
        defer { ticks.cancel() }
        var failing: Set<String> = []
        for await _ in self.wakeups.cancelOnGracefulShutdown() {
            let alerts = self.current.withLock { $0 }
            guard !alerts.isEmpty else { continue }
            let body = Self.payload(alerts, nowSeconds: Date().timeIntervalSince1970, resendSeconds: resendSeconds, generatorURL: self.generatorURL)
            guard let data = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]) else { continue }
            await withTaskGroup(of: (String, String?).self) { group in
                for target in self.targets {
                    group.addTask {
                        do {
                            try await Self.post(data, to: target)
                            return (target.url, nil)
                        } catch {
                            return (target.url, "\(error)")
                        }
                    }
                }
                for await (url, error) in group {
                    if let error {
                        self.counters.count(self.name, .failed)
                        if failing.insert(url).inserted {
                            self.logger.warning("Alertmanager unreachable, will retry", metadata: ["alertmanager.url": "\(url)", "error": "\(error)"])
                        }
                    } else {
                        self.counters.count(self.name, .sent)
                        if failing.remove(url) != nil { self.logger.info("Alertmanager reachable again", metadata: ["alertmanager.url": "\(url)"]) }
                    }
                }
            }
        }
    }

    private static func post(_ body: Data, to target: Target) async throws {
        var request = HTTPClientRequest(url: target.url + "/api/v2/alerts")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "InterferenceWatch/\(InterferenceWatchCommand.version)")
        if let authorization = target.authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await target.client.execute(request, timeout: .seconds(10))
        let text = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok else { throw AlertmanagerError(status: Int(response.status.code), body: String(buffer: text)) }
    }
}
