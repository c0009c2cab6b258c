import Detectors
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Parsers

/// Probe rounds for one group, as in the study: every interval, one GET to every server at the same moment; wait
/// for all of them (or the timeout); record; then the next round.
///
/// Rounds never overlap: a round that outlasts the interval delays the next one, which then starts at once without
/// trying to catch up. Every server's result is recorded, failures included (``LatencySample/Outcome``). A probe cut
/// short by our own shutdown is not the server's fault and is not recorded.
///
/// The client keeps connections alive between rounds, so after the first round a probe measures request processing
/// and transfer, not TCP connect: that is the part co-located memory pressure slows down (ecosystem notes §4).
///
/// A failing server is counted every round (`server_probe_errors_total{reason}`) and logged at warning once per
/// outage, with its group, name and URL (again only if it starts failing differently), and its recovery once at
/// info. A probe that times out is cancelled, which closes its connection, so a server that accepts and never
/// answers costs one connection per round, not one per round left open.
struct ProbeRunner<C: Clock>: Service where C.Duration == Duration {
    struct Configuration: Sendable {
        /// The `Server-Timing` metric whose `dur` is the server's own work time.
        var serverTimingMetric = ServerTimingParser.defaultMetricName
        /// A larger body fails the probe: a probe endpoint should answer with a few bytes.
        var maxBodyBytes = 1 << 20
        /// Unix time for ``LatencySample/atSeconds``.
        var wallClock: @Sendable () -> Double = { Date().timeIntervalSince1970 }

        init() {}
    }

    /// What one round did, for tests and debug logging. Instants are on `ContinuousClock` whatever `C` is.
    struct Round: Sendable {
        var index: Int
        var started: ContinuousClock.Instant
        var finished: ContinuousClock.Instant
        var samples: [LatencySample]
    }

    let group: GroupSettings
    let probe: GroupSettings.Probe
    let recorder: LatencyRecorder
    let logger: Logger
    let clock: C
    let configuration: Configuration
    let onRound: (@Sendable (Round) -> Void)?
    private let outages = ProbeOutages()

    /// - Parameters:
    ///   - group: The servers to probe (those without a `url` are skipped); `group.probe` gives interval and
    ///     timeout, defaulting to ``GroupSettings/Probe/init()`` when absent.
    ///   - clock: Paces the rounds and times them out; latency itself is always measured on `ContinuousClock`.
    ///   - onRound: Called after each round of ``run()`` has been recorded.
    init(group: GroupSettings, recorder: LatencyRecorder, logger: Logger, clock: C,
         configuration: Configuration = .init(), onRound: (@Sendable (Round) -> Void)? = nil) {
        self.group = group
        self.probe = group.probe ?? GroupSettings.Probe()
        self.recorder = recorder
        self.logger = logger
        self.clock = clock
        self.configuration = configuration
        self.onRound = onRound
    }

    /// A client for probing only: no redirects, no decompression, HTTP/1.1, our own pool. Shut it down when done.
    static func makeClient(timeout: Duration) -> HTTPClient {
        let connect = min(timeout, .seconds(10))
        let configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(Int64(connect / .nanoseconds(1)))),
            decompression: .disabled)
        var withHTTP1 = configuration
        withHTTP1.httpVersion = .http1Only
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: withHTTP1)
    }

    func run() async throws {
        let client = Self.makeClient(timeout: self.probe.timeout)
        var logger = self.logger
        logger[metadataKey: "group.name"] = "\(self.group.name)"
        logger.info("probing", metadata: [
            "probe.interval": "\(self.probe.interval)", "probe.timeout": "\(self.probe.timeout)",
            "probe.servers": "\(self.group.servers.filter { $0.url != nil }.count)",
        ])
        await self.loop(client: client)
        do {
            try await client.shutdown()
        } catch {
            logger.warning("probe client shutdown failed", metadata: ["error": "\(error)"])
        }
        logger.info("probing stopped")
    }

    private func loop(client: HTTPClient) async {
        var ticker = PeriodicTicker(clock: self.clock, interval: self.probe.interval)
        var index = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            ticker.startTick()
            let started = ContinuousClock.now
            let samples: [LatencySample]
            do {
                samples = try await cancelWhenGracefulShutdown { try await self.runRound(using: client) }
            } catch {
                break
            }
            self.onRound?(Round(index: index, started: started, finished: ContinuousClock.now, samples: samples))
            index += 1
            // An overrunning round starts the next one at once: rounds never overlap and never bunch up.
            guard await ticker.sleepUntilDue() else { break }
        }
    }

    /// One round: all servers at once, wait for all (each bounded by the probe timeout), record, return the samples.
    ///
    /// - Throws: `CancellationError` when cancelled; nothing of a cancelled round is recorded.
    @discardableResult
    func runRound(using client: HTTPClient) async throws -> [LatencySample] {
        let startedAt = self.configuration.wallClock()
        let targets = self.group.servers.compactMap { server in server.url.map { (server.name, $0) } }
        let samples = await withTaskGroup(of: (Int, LatencySample?).self) { tasks in
            for (index, (server, url)) in targets.enumerated() {
                tasks.addTask { (index, await self.probeOne(server: server, url: url, client: client, startedAt: startedAt)) }
            }
            var results = [LatencySample?](repeating: nil, count: targets.count)
            for await (index, sample) in tasks { results[index] = sample }
            return results
        }
        try Task.checkCancellation()
        let recorded = samples.compactMap { $0 }
        self.recorder.record(recorded)
        let urls = Dictionary(targets, uniquingKeysWith: { first, _ in first })
        for sample in recorded {
            self.log(sample, url: urls[sample.server] ?? "")
        }
        return recorded
    }

    /// Logs a server's first failure of an outage (and a change in how it fails) and its recovery; the rest at debug.
    private func log(_ sample: LatencySample, url: String) {
        var metadata: Logger.Metadata = [
            "group.name": "\(sample.group)", "server.name": "\(sample.server)", "server.url": "\(url)",
        ]
        switch self.outages.record(server: sample.server, outcome: sample.outcome) {
        case .failing(let problem):
            metadata["probe.reason"] = "\(sample.outcome == .timeout ? "timeout" : "error")"
            metadata["error.message"] = "\(sample.outcome == .timeout ? "no complete answer within \(self.probe.timeout)" : problem)"
            self.logger.warning("probe failing", metadata: metadata)
        case .recovered(let failedRounds):
            metadata["probe.failed_rounds"] = "\(failedRounds)"
            self.logger.info("probe answering again", metadata: metadata)
        case nil:
            if sample.outcome != .success {
                metadata["probe.outcome"] = "\(sample.outcome)"
                self.logger.debug("probe failed", metadata: metadata)
            }
        }
    }

    private enum Attempt: Sendable {
        case finished(LatencySample.Outcome, seconds: Double, serverSeconds: Double?)
        case timedOut
        case cancelled
    }

    /// One GET raced against the timeout; `nil` if we were cancelled.
    private func probeOne(server: String, url: String, client: HTTPClient, startedAt: Double) async -> LatencySample? {
        let timeout = self.probe.timeout
        let attempt = await withTaskGroup(of: Attempt.self) { race in
            race.addTask { await self.fetch(url: url, client: client, timeout: timeout) }
            race.addTask {
                do {
                    try await self.clock.sleep(for: timeout)
                    return .timedOut
                } catch {
                    return .cancelled
                }
            }
            let first = await race.next() ?? .cancelled
            race.cancelAll()
            return first
        }
        let base = LatencySample(group: self.group.name, server: server, source: .probe, seconds: 0, atSeconds: startedAt)
        switch attempt {
        case .cancelled:
            return nil
        case .timedOut:
            var sample = base
            sample.outcome = .timeout
            return sample
        case .finished(let outcome, let seconds, let serverSeconds):
            if Task.isCancelled { return nil }
            var sample = base
            sample.outcome = outcome
            sample.seconds = outcome == .success ? seconds : 0
            sample.serverSeconds = serverSeconds
            return sample
        }
    }

    /// Sends the GET and reads the whole body, timing from send to the last byte.
    private func fetch(url: String, client: HTTPClient, timeout: Duration) async -> Attempt {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "interference-watch-probe")
        let clock = ContinuousClock()
        let start = clock.now
        do {
            // The deadline backs up the race above; the race is what decides, so both give `.timeout`.
            let response = try await client.execute(request, deadline: .now() + .nanoseconds(Int64(timeout / .nanoseconds(1))) + .seconds(1))
            let serverSeconds = ServerTimingParser.durationSeconds(
                named: self.configuration.serverTimingMetric, in: response.headers["Server-Timing"])
            guard (200..<300).contains(response.status.code) else {
                return .finished(.error("status \(response.status.code)"), seconds: 0, serverSeconds: serverSeconds)
            }
            var bytes = 0
            for try await chunk in response.body {
                bytes += chunk.readableBytes
                if bytes > self.configuration.maxBodyBytes {
                    return .finished(.error("body larger than \(self.configuration.maxBodyBytes) bytes"), seconds: 0,
                                     serverSeconds: serverSeconds)
                }
            }
            let elapsed = clock.now - start
            return .finished(.success, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                             serverSeconds: serverSeconds)
        } catch is CancellationError {
            return .cancelled
        } catch {
            if Task.isCancelled { return .cancelled }
            return Self.classify(error)
        }
    }

    /// Maps a client error to an outcome with a short, stable reason (it ends up in logs, not in labels).
    private static func classify(_ error: any Error) -> Attempt {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return .timedOut
            case .cancelled:
                return .cancelled
            default:
                break
            }
        }
        if let error = error as? IOError {
            return .finished(.error(Self.describe(errno: error.errnoCode)), seconds: 0, serverSeconds: nil)
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("ECONNREFUSED") || text.contains("Connection refused") {
            return .finished(.error("connection refused"), seconds: 0, serverSeconds: nil)
        }
        return .finished(.error(String(text.prefix(200))), seconds: 0, serverSeconds: nil)
    }

    private static func describe(errno code: Int32) -> String {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ECONNRESET: "connection reset"
        case EHOSTUNREACH, ENETUNREACH: "unreachable"
        default: String(cString: strerror(code))
        }
    }
}

extension ProbeRunner where C == ContinuousClock {
    init(group: GroupSettings, recorder: LatencyRecorder, logger: Logger, configuration: Configuration = .init(),
         onRound: (@Sendable (Round) -> Void)? = nil) {
        self.init(group: group, recorder: recorder, logger: logger, clock: ContinuousClock(), configuration: configuration,
                  onRound: onRound)
    }
}
