import Detectors
@testable import Parsers
import AsyncHTTPClient
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

@testable import InterferenceWatch

/// Probe rounds against a real Hummingbird server on 127.0.0.1 (port 0), one route per behaviour.
struct LatencyProbeTests {
    /// Holds the slow route until the test is done, so shutting the test server down doesn't wait on a sleep.
    final class Gate: Sendable {
        private let open = Mutex(false)
        func release() { self.open.withLock { $0 = true } }
        func wait() async {
            while !self.open.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    static func makeServer(gate: Gate) -> some ApplicationProtocol {
        let router = Router()
        router.get("/timed") { _, _ -> Response in
            Response(status: .ok, headers: [.init("Server-Timing")!: "db;dur=1, task;desc=\"write\";dur=12.5"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"task_seconds\": 0.0125}")))
        }
        router.get("/plain") { _, _ in "ok" }
        router.get("/slow") { _, _ -> String in
            await gate.wait()
            return "late"
        }
        router.get("/fail") { _, _ -> Response in Response(status: .internalServerError) }
        router.get("/redirect") { _, _ -> Response in Response(status: .found, headers: [.location: "/plain"]) }
        router.get("/big") { _, _ -> Response in
            Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func group(port: Int, timeout: Duration, interval: Duration = .seconds(2)) -> GroupSettings {
        let base = "http://127.0.0.1:\(port)"
        return GroupSettings(name: "lab", probe: .init(interval: interval, timeout: timeout), servers: [
            .init(name: "timed", url: base + "/timed", placement: .none),
            .init(name: "plain", url: base + "/plain", placement: .none),
            .init(name: "slow", url: base + "/slow", placement: .none),
            .init(name: "fail", url: base + "/fail", placement: .none),
            .init(name: "redirect", url: base + "/redirect", placement: .none),
            .init(name: "big", url: base + "/big", placement: .none),
            // Port 1 on loopback: nothing listens there, so the connection is refused.
            .init(name: "refused", url: "http://127.0.0.1:1/task", placement: .none),
            .init(name: "unprobed", url: nil, placement: .none),
        ])
    }

    @Test func oneRoundRecordsEveryOutcome() async throws {
        let gate = Gate()
        try await Self.makeServer(gate: gate).test(.live) { client in
            defer { gate.release() }
            let port = try #require(client.port)
            let recorder = LatencyRecorder()
            var configuration = ProbeRunner<ContinuousClock>.Configuration()
            configuration.maxBodyBytes = 1024
            configuration.wallClock = { 1000 }
            let runner = ProbeRunner(group: Self.group(port: port, timeout: .seconds(5)), recorder: recorder,
                                     logger: Logger(label: "test"), configuration: configuration)
            let http = ProbeRunner<ContinuousClock>.makeClient(timeout: .seconds(5))
            let samples: [LatencySample]
            do {
                samples = try await runner.runRound(using: http)
                try await http.shutdown()
            } catch {
                try? await http.shutdown()
                throw error
            }
            let byServer = Dictionary(uniqueKeysWithValues: samples.map { ($0.server, $0) })
            #expect(Set(byServer.keys) == ["timed", "plain", "slow", "fail", "redirect", "big", "refused"])
            #expect(samples.allSatisfy { $0.group == "lab" && $0.source == .probe && $0.atSeconds == 1000 })

            let timed = try #require(byServer["timed"])
            #expect(timed.outcome == .success)
            #expect(timed.seconds > 0)
            #expect(timed.serverSeconds == 0.0125)
            #expect(byServer["plain"]?.outcome == .success)
            #expect(byServer["plain"]?.serverSeconds == nil)
            #expect(byServer["slow"]?.outcome == .timeout)
            #expect(byServer["fail"]?.outcome == .error("status 500"))
            #expect(byServer["redirect"]?.outcome == .error("status 302"))
            #expect(byServer["big"]?.outcome == .error("body larger than 1024 bytes"))
            // AsyncHTTPClient's pool retries a refused connect with backoff until the deadline, so on a loaded machine
            // the probe's own timeout can win the race: either way it is a failure, never dropped, never a success.
            let refused = try #require(byServer["refused"]?.outcome)
            #expect(refused == .error("connection refused") || refused == .timeout, "\(refused)")
            #expect(samples.filter { $0.outcome != .success }.allSatisfy { $0.seconds == 0 })

            // Recorded, failures included.
            #expect(recorder.samples(group: "lab", from: 0, to: .infinity).count == 7)
            let errors = recorder.families().first { $0.name == "interferencewatch_server_probe_errors_total" }
            let counts = Dictionary(uniqueKeysWithValues: (errors?.samples ?? []).map {
                ("\($0.labels[1].value)/\($0.labels[2].value)", $0.value)
            })
            let refusedKey = refused == .timeout ? "refused/timeout" : "refused/error"
            #expect(counts == ["slow/timeout": 1, "fail/error": 1, "redirect/error": 1, "big/error": 1, refusedKey: 1])
        }
    }

    /// Runs the service with an interval far shorter than the slow server's timeout: each round must still wait for
    /// the previous one, and graceful shutdown must end the loop and shut the client down.
    @Test func roundsNeverOverlapAndShutdownIsGraceful() async throws {
        let gate = Gate()
        try await Self.makeServer(gate: gate).test(.live) { client in
            defer { gate.release() }
            let port = try #require(client.port)
            let base = "http://127.0.0.1:\(port)"
            // 30 s: "timed" must answer within the timeout even while other suites swap the machine (2 s, 5 s and
            // then 15 s were not always enough in CI once the lab scenario ran beside it); "slow" never answers
            // before its timeout.
            let group = GroupSettings(name: "lab", probe: .init(interval: .milliseconds(1), timeout: .seconds(30)), servers: [
                .init(name: "slow", url: base + "/slow", placement: .none),
                .init(name: "timed", url: base + "/timed", placement: .none),
            ])
            let recorder = LatencyRecorder()
            let (rounds, continuation) = AsyncStream.makeStream(of: ProbeRunner<ContinuousClock>.Round.self)
            let runner = ProbeRunner(group: group, recorder: recorder, logger: Logger(label: "test"),
                                     onRound: { continuation.yield($0) })
            let services = ServiceGroup(configuration: .init(services: [runner], logger: Logger(label: "test")))
            var seen: [ProbeRunner<ContinuousClock>.Round] = []
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await services.run() }
                for await round in rounds {
                    seen.append(round)
                    if seen.count == 3 { break }
                }
                await services.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            continuation.finish()
            #expect(seen.map(\.index) == [0, 1, 2])
            for (previous, next) in zip(seen, seen.dropFirst()) {
                #expect(next.started >= previous.finished)
            }
            for round in seen {
                #expect(round.samples.count == 2)
                #expect(round.samples.first { $0.server == "slow" }?.outcome == .timeout)
                #expect(round.samples.first { $0.server == "timed" }?.outcome == .success)
            }
            #expect(recorder.samples(group: "lab", from: 0, to: .infinity).count >= 6)
        }
    }
}
