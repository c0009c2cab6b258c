import Detectors
@testable import Parsers
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import InterferenceWatch

/// The metrics route over a real HTTP server: a body larger than one write arrives whole and in order.
struct HTTPRoutesTests {
    /// An exposition of `series` gauge series, sent through the router's chunked body.
    static func app(series: Int) -> some ApplicationProtocol {
        let extra = MetricFamily(
            name: "interferencewatch_test_series", help: "Series for the body test.", kind: .gauge,
            samples: (0..<series).map { .init(labels: [("index", String($0))], value: Double($0)) })
        let router = HTTPRoutes.makeRouter(.init(
            latest: LatestSweep(), renderer: SweepRenderer(version: "test", pageSizeBytes: 4096),
            telemetryPath: "/metrics", extraFamilies: { [extra] }))
        return Application(router: router)
    }

    @Test(arguments: [1, 20_000])
    func exposition(series: Int) async throws {
        try await Self.app(series: series).test(.live) { client in
            // Twice: the second render reserves from the first one's size and must give the same bytes.
            var bodies: [String] = []
            for _ in 0..<2 {
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == ExpositionWriter.contentType)
                    #expect(response.headers[.contentLength] == String(response.body.readableBytes))
                    bodies.append(String(buffer: response.body))
                }
            }
            let lines = bodies[0].split(separator: "\n").filter { $0.hasPrefix("interferencewatch_test_series{") }
            #expect(lines.count == series)
            // Series sort by label value as text, so the last one is the largest index written as text.
            let last = (0..<series).map(String.init).max()!
            #expect(lines.last.map(String.init) == "interferencewatch_test_series{index=\"\(last)\"} \(last)")
            #expect(bodies[0] == bodies[1])
            // Larger than a socket takes at once, so the shared buffer is sent in several writes.
            if series > 1 { #expect(bodies[0].utf8.count > 256 << 10) }
        }
    }

    /// The calibration's API: bad bodies are 400 naming the field, a token guards the changes, a result reaches
    /// the advice and history.
    @Test func calibrationEndpointsCheckTheirBodiesAndToken() async throws {
        let advice = HostMemoryAdvice()
        let stored = NIOLockedValueBox<[CalibrationResult]>([])
        let token = NIOLockedValueBox<String?>(nil)
        let intake = CalibrationIntake(advice: advice, store: { result in stored.withLockedValue { $0.append(result) } }, now: { 1_000 })
        let router = HTTPRoutes.makeRouter(.init(latest: LatestSweep(), renderer: SweepRenderer(version: "test", pageSizeBytes: 4096),
                                                 telemetryPath: "/metrics", advice: advice, calibration: intake,
                                                 token: { token.withLockedValue { $0 } }))
        let result = CalibrationResult(startedAtSeconds: 900, endedAtSeconds: 990, capacityBytes: 1 << 30, capacityCgroup: "/lab",
                                       stepBytes: 256 << 20, steps: [], stopReason: "ceiling")
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/api/v1/calibration/start", method: .post, body: ByteBuffer(string: #"{"until": 5}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains(#""field" : "until_seconds""#))
            }
            try await client.execute(uri: "/api/v1/calibration/start", method: .post,
                                     body: ByteBuffer(string: #"{"until_seconds": 500000}"#)) { response in
                #expect(response.status == .badRequest, "more than a day ahead")
            }
            try await client.execute(uri: "/api/v1/calibration/start", method: .post,
                                     body: ByteBuffer(string: #"{"until_seconds": 1600}"#)) { response in
                #expect(response.status == .accepted)
            }
            #expect(advice.calibrating)
            try await client.execute(uri: "/api/v1/calibration/result", method: .post, body: ByteBuffer(string: "[1, 2]")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("not a calibration result"))
            }
            // Times that are no Unix time are refused by field (a start of -1e300 trapped the daemon in history's
            // key; found by scripts/api-fuzz.sh); nothing reaches the advice or history.
            for (started, ended, field) in [(-1e300, 990.0, "started_at_seconds"), (900, .nan, "ended_at_seconds"),
                                            (900, 800, "ended_at_seconds")] {
                var bad = result
                bad.startedAtSeconds = started
                bad.endedAtSeconds = ended
                try await client.execute(uri: "/api/v1/calibration/result", method: .post,
                                         body: ByteBuffer(bytes: Array(try APIJSON.encode(bad)))) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains(#""field" : "\#(field)""#))
                }
            }
            token.withLockedValue { $0 = "s3cret" }
            try await client.execute(uri: "/api/v1/calibration/result", method: .post,
                                     body: ByteBuffer(bytes: Array(try APIJSON.encode(result)))) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/calibration/result", method: .post, headers: [.authorization: "Bearer s3cret"],
                                     body: ByteBuffer(bytes: Array(try APIJSON.encode(result)))) { response in
                #expect(response.status == .accepted)
            }
            try await client.execute(uri: "/api/v1/calibration", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains(#""stop_reason" : "ceiling""#))
            }
        }
        #expect(!advice.calibrating && stored.withLockedValue { $0 } == [result])
    }

    /// Gzip first (as Prometheus asks), then plain: the plain text is inflated from the kept gzip body, the same
    /// bytes with no second render.
    @Test func aPlainScrapeAfterAGzipOneGetsTheSameBytesWithoutARender() async throws {
        let latest = LatestSweep()
        var sweep = CollectedSweep()
        sweep.atSeconds = 2_000
        latest.set(sweep)
        let calls = NIOLockedValueBox(0)
        let extra: @Sendable () -> [MetricFamily] = {
            calls.withLockedValue { $0 += 1 }
            return [MetricFamily(name: "interferencewatch_test_series", help: "Bulk.", kind: .gauge,
                                 samples: (0..<5000).map { .init(labels: [("index", String($0))], value: Double($0)) })]
        }
        let router = HTTPRoutes.makeRouter(.init(latest: latest, renderer: SweepRenderer(version: "test", pageSizeBytes: 4096),
                                                 telemetryPath: "/metrics", extraFamilies: extra))
        try await Application(router: router).test(.router) { client in
            var gzipped: [UInt8] = []
            try await client.execute(uri: "/metrics", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                gzipped = Array(buffer: response.body)
            }
            var plain: [String] = []
            for _ in 0..<2 {
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.headers[.contentEncoding] == nil)
                    plain.append(String(buffer: response.body))
                }
            }
            #expect(try Self.gunzip(gzipped) == plain[0])
            #expect(plain[0] == plain[1])
            #expect(plain[0].contains("interferencewatch_test_series{index=\"4999\"} 4999\n"))
        }
        #expect(calls.withLockedValue { $0 } == 1)
    }

    /// One render per sweep, whatever the number of scrapes; gzip when asked, the same text inside.
    @Test func everyScrapeOfASweepGetsTheSameBytesAndGzipWhenAsked() async throws {
        let latest = LatestSweep()
        var first = CollectedSweep()
        first.atSeconds = 1_000
        latest.set(first)
        let calls = NIOLockedValueBox(0)
        let extra: @Sendable () -> [MetricFamily] = {
            let call = calls.withLockedValue { $0 += 1; return $0 }
            return [MetricFamily(name: "interferencewatch_test_calls", help: "Renders seen.", kind: .gauge,
                                 samples: [.init(labels: [], value: Double(call))])]
        }
        let router = HTTPRoutes.makeRouter(.init(latest: latest, renderer: SweepRenderer(version: "test", pageSizeBytes: 4096),
                                                 telemetryPath: "/metrics", extraFamilies: extra))
        try await Application(router: router).test(.router) { client in
            var bodies: [String] = []
            for _ in 0..<3 {
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.headers[.contentEncoding] == nil && response.headers[.vary] == "Accept-Encoding")
                    bodies.append(String(buffer: response.body))
                }
            }
            #expect(bodies[0] == bodies[1] && bodies[1] == bodies[2])
            #expect(bodies[0].contains("interferencewatch_test_calls 1\n") && bodies[0].contains("interferencewatch_exposition_renders_total 1\n"))
            var gzipped: [UInt8] = []
            try await client.execute(uri: "/metrics", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                gzipped = Array(buffer: response.body)
            }
            #expect(try Self.gunzip(gzipped) == bodies[0])
            #expect(gzipped.count * 2 < bodies[0].utf8.count, "\(gzipped.count) of \(bodies[0].utf8.count) bytes")
            try await client.execute(uri: "/metrics", method: .get, headers: [.acceptEncoding: "gzip;q=0, identity"]) { response in
                #expect(response.headers[.contentEncoding] == nil && String(buffer: response.body) == bodies[0])
            }
            // A new sweep: one new render.
            var next = CollectedSweep()
            next.atSeconds = 1_015
            latest.set(next)
            try await client.execute(uri: "/metrics", method: .get) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("interferencewatch_test_calls 2\n") && body.contains("interferencewatch_exposition_renders_total 2\n"))
                #expect(body.contains("interferencewatch_exposition_scrapes_total{encoding=\"gzip\"} 1\n"))
            }
        }
        #expect(calls.withLockedValue { $0 } == 2)
    }

    static func gunzip(_ bytes: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
