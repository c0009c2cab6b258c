import Detectors
import TestKit
import Synchronization
import Testing

@testable import InterferenceWatch
@testable import Parsers

struct LatencyRecorderTests {
    static func sample(_ server: String, _ seconds: Double, at: Double, source: LatencySample.Source = .probe,
                       outcome: LatencySample.Outcome = .success) -> LatencySample {
        LatencySample(group: "g", server: server, source: source, seconds: seconds, outcome: outcome, atSeconds: at)
    }

    /// A recorder whose arrival clock the test sets.
    final class Arrivals: Sendable {
        let time = Mutex(0.0)
        func set(_ seconds: Double) { self.time.withLock { $0 = seconds } }
        func now() -> Double { self.time.withLock { $0 } }
    }

    @Test func samplesInHalfOpenRangeOfArrivalInArrivalOrder() {
        let clock = Arrivals()
        let recorder = LatencyRecorder(now: { clock.now() })
        clock.set(10)
        recorder.record([Self.sample("a", 1, at: 10), Self.sample("b", 2, at: 9)])
        clock.set(12)
        recorder.record([Self.sample("a", 3, at: 11, source: .push)])  // a late arrival counts when it arrives
        #expect(recorder.samples(group: "g", from: 10, to: 12).map(\.seconds) == [1, 2])
        #expect(recorder.samples(group: "g", from: 12, to: 13).map(\.seconds) == [3])
        #expect(recorder.samples(group: "g", from: 0, to: 100).map(\.recordedAtSeconds) == [10, 10, 12])
        #expect(recorder.samples(group: "other", from: 0, to: 100).isEmpty)
        #expect(recorder.samples(group: "g", from: 12, to: 12).isEmpty)
        // Jitter back never reorders arrivals: the sample takes the last arrival time.
        clock.set(11.5)
        recorder.record([Self.sample("b", 4, at: 11.5)])
        #expect(recorder.samples(group: "g", from: 12, to: 13).map(\.seconds) == [3, 4])
        // A clock stepped back (more than a second) starts the log over from the new time: samples from "later"
        // leave it (history has them), and new ones count in the windows of the new time.
        clock.set(5)
        recorder.record([Self.sample("b", 5, at: 5)])
        #expect(recorder.samples(group: "g", from: 0, to: 100).map(\.seconds) == [5])
        #expect(recorder.samples(group: "g", from: 5, to: 6).map(\.recordedAtSeconds) == [5])
    }

    @Test func retentionAndCapBoundMemory() {
        let clock = Arrivals()
        let recorder = LatencyRecorder(retentionSeconds: 100, maxSamplesPerGroup: 50, now: { clock.now() })
        for index in 0..<10 {
            clock.set(Double(index))
            recorder.record([Self.sample("a", 1, at: Double(index))])
        }
        clock.set(105)
        recorder.record([Self.sample("a", 1, at: 105)])
        #expect(recorder.samples(group: "g", from: 0, to: 1000).map(\.atSeconds) == [5, 6, 7, 8, 9, 105])
        clock.set(200)
        recorder.record((0..<200).map { Self.sample("a", 1, at: 200 + Double($0) / 10) })
        #expect(recorder.samples(group: "g", from: 0, to: 1000).count == 50)
    }

    @Test func failuresAreKeptAsSamplesButNotObserved() throws {
        let recorder = LatencyRecorder(bucketsSeconds: [0.1, 1])
        recorder.record([
            Self.sample("a", 0.05, at: 1), Self.sample("a", 0.1, at: 1), Self.sample("a", 5, at: 1),
            Self.sample("a", 0, at: 2, outcome: .timeout), Self.sample("a", 0, at: 2, outcome: .error("status 500")),
            Self.sample("a", 0, at: 3, outcome: .error("connection refused")), Self.sample("b", 0.5, at: 3, source: .scrape),
        ])
        #expect(recorder.samples(group: "g", from: 0, to: .infinity).count == 7)
        let families = recorder.families()
        let latency = try #require(families.first { $0.name == "interferencewatch_server_latency_seconds" })
        #expect(latency.kind == .histogram)
        let aProbe = latency.samples.filter { $0.labels.contains { $0 == ("server", "a") } }
        #expect(aProbe.filter { $0.suffix != "_sum" }.map(\.value) == [2, 2, 3, 3])  // 0.1 lands in le="0.1": bounds are inclusive
        #expect(abs((aProbe.first { $0.suffix == "_sum" }?.value ?? 0) - 5.15) < 1e-9)
        let errors = try #require(families.first { $0.name == "interferencewatch_server_probe_errors_total" })
        #expect(errors.samples.map { "\($0.labels.map(\.value)) \($0.value)" } == ["[\"g\", \"a\", \"error\"] 2.0", "[\"g\", \"a\", \"timeout\"] 1.0"])
    }

    /// Renders through ``ExpositionWriter`` and checks the text as a scraper would: cumulative buckets, `+Inf` equals
    /// `_count`, every histogram series complete.
    @Test func familiesRenderAsWellFormedExposition() throws {
        let recorder = LatencyRecorder()
        var rng = TestRandom(seed: 42)
        var batch: [LatencySample] = []
        for index in 0..<2000 {
            let server = ["s1", "s2", "s3"][Int(rng.next() % 3)]
            let source = LatencySample.Source.allCases[Int(rng.next() % 3)]
            let seconds = Double(rng.next() % 200_000) / 1000
            batch.append(LatencySample(group: index % 2 == 0 ? "api" : "web", server: server, source: source, seconds: seconds,
                                       atSeconds: Double(index)))
        }
        recorder.record(batch)
        recorder.declare(groups: [GroupSettings(name: "api", probe: .init(), servers: [.init(name: "s1", url: "http://x", placement: .none)])])
        let text = String(decoding: ExpositionWriter.render(recorder.families()), as: UTF8.self)
        #expect(text.contains("# TYPE interferencewatch_server_latency_seconds histogram"))
        #expect(text.contains("interferencewatch_server_probe_errors_total{group=\"api\",server=\"s1\",reason=\"timeout\"} 0"))

        // Parse back per series with our own scrape parser: it rejects non-cumulative buckets and needs +Inf.
        var seriesCount = 0
        for group in ["api", "web"] {
            for server in ["s1", "s2", "s3"] {
                for source in LatencySample.Source.allCases {
                    let h = try ScrapedHistogram.parse(text, metric: "interferencewatch_server_latency_seconds",
                                                       labels: ["group": group, "server": server, "source": source.rawValue])
                    #expect(h.buckets.count == LatencyRecorder.defaultBuckets.count + 1)
                    #expect(h.buckets.last!.count == h.count)
                    #expect(zip(h.buckets, h.buckets.dropFirst()).allSatisfy { $0.count <= $1.count })
                    let expected = batch.filter { $0.group == group && $0.server == server && $0.source == source }
                    #expect(h.count == Double(expected.count))
                    #expect(abs(h.sum - expected.reduce(0) { $0 + $1.seconds }) < 1e-6)
                    seriesCount += 1
                }
            }
        }
        #expect(seriesCount == 18)
        let bucketLines = text.split(separator: "\n").filter { $0.hasPrefix("interferencewatch_server_latency_seconds_bucket") }
        #expect(bucketLines.count == 18 * (LatencyRecorder.defaultBuckets.count + 1))
    }
}

struct LatencyConfigTests {
    @Test func parsesScrapeSettings() throws {
        let yaml = """
            groups:
              - name: api
                servers:
                  - name: s1
                    scrape:
                      url: "http://127.0.0.1:9100/metrics"
                      metric: http_request_duration_seconds_bucket
                      labels: {handler: /task, method: GET}
                      interval: 30s
                  - {name: s2, scrape: {url: "http://127.0.0.1:9101/metrics", metric: m}}
            """
        let config = try DaemonConfig.parse(yaml, file: "c.yaml")
        let s1 = try #require(config.groups.first?.servers.first?.scrape)
        #expect(s1 == GroupSettings.Scrape(url: "http://127.0.0.1:9100/metrics", metric: "http_request_duration_seconds",
                                          labels: ["handler": "/task", "method": "GET"], interval: .seconds(30)))
        #expect(config.groups.first?.servers.last?.scrape?.interval == .seconds(15))
    }

    @Test(arguments: [
        ("scrape: {metric: m}", 5, "missing \"url\""),
        ("scrape: {url: \"ftp://x\", metric: m}", 5, "http://"),
        ("scrape: {url: \"http://x\"}", 5, "missing \"metric\""),
        ("scrape: {url: \"http://x\", metric: \"9bad\"}", 5, "not a Prometheus metric name"),
        ("scrape: {url: \"http://x\", metric: m, labels: {le: \"1\"}}", 5, "\"le\""),
        ("scrape: {url: \"http://x\", metric: m, labels: [a]}", 5, "expected a mapping"),
        ("scrape: {url: \"http://x\", metric: m, interval: 100ms}", 5, "at least 1s"),
        ("scrape: {url: \"http://x\", metric: m, intervall: 1s}", 5, "unknown key \"intervall\""),
    ])
    func scrapeErrorsNameTheLine(entry: String, line: Int, message: String) {
        let yaml = """
            groups:
              - name: api
                servers:
                  - name: s1
                    \(entry)
                  - name: s2
            """
        #expect {
            _ = try DaemonConfig.parse(yaml, file: "c.yaml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.line == line && error.message.contains(message) && error.message.contains("groups[0].servers[0].scrape")
        }
    }
}
