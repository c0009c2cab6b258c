import Detectors
import Logging
import TestKit
import Testing

@testable import InterferenceWatch
@testable import Parsers

struct LatencyHistogramTests {
    static let page = """
        # HELP http_request_duration_seconds Request latency.
        # TYPE http_request_duration_seconds histogram
        http_request_duration_seconds_bucket{handler="/task",method="GET",le="0.1"} 1
        http_request_duration_seconds_bucket{handler="/task",method="GET",le="0.5"} 3
        http_request_duration_seconds_bucket{handler="/task",method="GET",le="1"} 6
        http_request_duration_seconds_bucket{handler="/task",method="GET",le="+Inf"} 7
        http_request_duration_seconds_sum{handler="/task",method="GET"} 5.5
        http_request_duration_seconds_count{handler="/task",method="GET"} 7
        http_request_duration_seconds_bucket{handler="/task",method="POST",le="0.1"} 0
        http_request_duration_seconds_bucket{handler="/task",method="POST",le="0.5"} 1
        http_request_duration_seconds_bucket{handler="/task",method="POST",le="1"} 1
        http_request_duration_seconds_bucket{handler="/task",method="POST",le="+Inf"} 1 1700000000000
        http_request_duration_seconds_sum{handler="/task",method="POST"} 0.25
        http_request_duration_seconds_count{handler="/task",method="POST"} 1
        http_request_duration_seconds_bucket{handler="/healthz",method="GET",le="0.1"} 100
        http_request_duration_seconds_bucket{handler="/healthz",method="GET",le="0.5"} 100
        http_request_duration_seconds_bucket{handler="/healthz",method="GET",le="1"} 100
        http_request_duration_seconds_bucket{handler="/healthz",method="GET",le="+Inf"} 100
        http_request_duration_seconds_sum{handler="/healthz",method="GET"} 0.5
        http_request_duration_seconds_count{handler="/healthz",method="GET"} 100
        http_request_duration_seconds_bucket_total{weird="x"} not-parsed
        other_metric{le="garbage"} ???
        """

    @Test func sumsMatchingSeriesAcrossOtherLabels() throws {
        let h = try ScrapedHistogram.parse(Self.page, metric: "http_request_duration_seconds", labels: ["handler": "/task"])
        #expect(h.buckets.map(\.upperBound) == [0.1, 0.5, 1, .infinity])
        #expect(h.buckets.map(\.count) == [1, 4, 7, 8])
        #expect(h.sum == 5.75)
        #expect(h.count == 8)
        let all = try ScrapedHistogram.parse(Self.page, metric: "http_request_duration_seconds")
        #expect(all.count == 108)
    }

    @Test func toleratesEscapesTrailingCommaAndExemplars() throws {
        let text = """
            m_bucket{path="a\\"b\\\\c\\n",le="1",} 2 # {trace_id="abc"} 0.5
            m_bucket{path="a\\"b\\\\c\\n",le="+Inf",} 3
            m_count{path="a\\"b\\\\c\\n"} 3\r
            m_sum{path="a\\"b\\\\c\\n"} 1.5
            """
        let h = try ScrapedHistogram.parse(text, metric: "m", labels: ["path": "a\"b\\c\n"])
        #expect(h.buckets.map(\.count) == [2, 3])
        #expect(h.count == 3 && h.sum == 1.5)
    }

    @Test(arguments: [
        ("m_bucket{le=\"1\"} 1\nm_bucket{le=\"+Inf\"} x\n", 2, "not a number"),
        ("m_bucket{le=\"1\" 1\n", 1, "expected , or }"),
        ("m_bucket{le=1} 1\n", 1, "double quotes"),
        ("\nm_bucket{le=\"1\"}\n", 2, "missing value"),
        ("m_bucket{le=\"soon\"} 1\n", 1, "not a number"),
        ("m_bucket{} 1\n", 1, "without an \"le\""),
        ("m_sum{a=\"1\",a=\"2\"} 1\n", 1, "given twice"),
        ("m_count -3\n", 1, "negative"),
        ("m_bucket{le=\"1\"} 1 2 3\n", 1, "optional timestamp"),
        ("m_bucket{le=\"1\",x=\"unterminated} 1\n", 1, "unterminated"),
    ])
    func malformedLinesNameTheLine(text: String, line: Int, message: String) {
        #expect {
            _ = try ScrapedHistogram.parse(text, metric: "m")
        } throws: { error in
            guard let error = error as? ScrapedHistogram.ParseError else { return false }
            return error.line == line && error.message.contains(message)
        }
    }

    @Test func missingMetricOrInfBucketIsAnError() {
        #expect(throws: ScrapedHistogram.ParseError.self) { try ScrapedHistogram.parse("x_bucket{le=\"+Inf\"} 1", metric: "m") }
        #expect(throws: ScrapedHistogram.ParseError.self) {
            try ScrapedHistogram.parse(Self.page, metric: "http_request_duration_seconds", labels: ["handler": "/none"])
        }
        #expect(throws: ScrapedHistogram.ParseError.self) { try ScrapedHistogram.parse("m_bucket{le=\"1\"} 1", metric: "m") }
    }

    static func histogram(_ counts: [Double], bounds: [Double] = [0.1, 0.5, 1, .infinity], sum: Double = 0) -> ScrapedHistogram {
        ScrapedHistogram(buckets: zip(bounds, counts).map { .init(upperBound: $0, count: $1) }, sum: sum, count: counts.last!)
    }

    @Test func deltaAgainstPreviousScrape() throws {
        var baseline = HistogramBaseline()
        #expect(baseline.advance(to: Self.histogram([1, 2, 3, 4], sum: 2)) == nil)  // first scrape: baseline only
        let window = baseline.advance(to: Self.histogram([1, 5, 9, 10], sum: 8))
        let delta = try #require(window)
        #expect(delta.buckets.map(\.count) == [0, 3, 6, 6])
        #expect(delta.count == 6 && delta.sum == 6)
    }

    @Test(arguments: [
        [0.0, 1, 2, 3],  // everything went down
        [1.0, 5, 8, 9],  // one bucket went down (9 < 9 ok, 8 < 9 not)
        [1.0, 5, 9, 9.5],  // +Inf went down
    ])
    func counterResetSkipsTheWindowAndRestarts(after: [Double]) throws {
        var baseline = HistogramBaseline(previous: Self.histogram([1, 5, 9, 10]))
        #expect(baseline.advance(to: Self.histogram(after)) == nil)
        // The next window is diffed against the post-reset scrape, never negative.
        let window = baseline.advance(to: Self.histogram(after.map { $0 + 1 }))
        let next = try #require(window)
        #expect(next.buckets.allSatisfy { $0.count >= 0 })
        #expect(next.count == 1)
    }

    @Test func changedBucketLayoutIsAReset() {
        var baseline = HistogramBaseline(previous: Self.histogram([1, 2, 3, 4]))
        #expect(baseline.advance(to: Self.histogram([1, 2, 3, 4], bounds: [0.2, 0.5, 1, .infinity])) == nil)
    }

    @Test func representativeValuesUseBucketMidpoints() {
        let delta = HistogramDelta(buckets: [.init(upperBound: 0.1, count: 2), .init(upperBound: 0.5, count: 3),
                                             .init(upperBound: 1, count: 3), .init(upperBound: .infinity, count: 4)],
                                   sum: 3, count: 4)
        #expect(delta.representativeValues() == [0.1, 0.1, 0.3, 1])
    }

    @Test func representativeValuesAreCappedProportionally() {
        let delta = HistogramDelta(buckets: [.init(upperBound: 1, count: 1000), .init(upperBound: 2, count: 4000),
                                             .init(upperBound: .infinity, count: 5000)],
                                   sum: 0, count: 5000)
        let values = delta.representativeValues(cap: 500)
        #expect(values.count == 500)
        #expect(values.filter { $0 == 1 }.count == 100)
        #expect(values.filter { $0 == 1.5 }.count == 300)
        #expect(values.filter { $0 == 2 }.count == 100)
    }

    @Test func quantileMatchesPrometheusExamples() {
        let delta = HistogramDelta(buckets: [.init(upperBound: 0.1, count: 10), .init(upperBound: 0.5, count: 30),
                                             .init(upperBound: 1, count: 40), .init(upperBound: .infinity, count: 40)],
                                   sum: 0, count: 40)
        #expect(abs(delta.quantile(0.5) - 0.3) < 1e-12)  // rank 20: halfway through (0.1, 0.5]
        #expect(abs(delta.quantile(0.25) - 0.1) < 1e-12)
        #expect(abs(delta.quantile(0.125) - 0.05) < 1e-12)  // first bucket starts at 0
        #expect(delta.quantile(1) == 1)
        #expect(delta.quantile(-0.1) == -.infinity)
        #expect(delta.quantile(1.1) == .infinity)
        #expect(delta.quantile(.nan).isNaN)
        let inInf = HistogramDelta(buckets: [.init(upperBound: 1, count: 1), .init(upperBound: .infinity, count: 10)], sum: 0, count: 10)
        #expect(inInf.quantile(0.9) == 1)  // rank in +Inf: the largest finite bound
        let empty = HistogramDelta(buckets: [.init(upperBound: 1, count: 0), .init(upperBound: .infinity, count: 0)], sum: 0, count: 0)
        #expect(empty.quantile(0.5).isNaN)
    }

    /// Oracle: bucket raw observations, then the interpolated quantile must fall in the bucket holding the exact
    /// empirical quantile (the ceil(q·n)-th smallest value), and match a naive re-implementation of the formula.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func quantileAgreesWithNaiveComputation(seed: UInt64) {
        var rng = TestRandom(seed: seed)
        let bounds: [Double] = [0.01, 0.05, 0.1, 0.5, 1, 5, .infinity]
        let n = 1 + Int(rng.next() % 300)
        let values = (0..<n).map { _ in Double(rng.next() % 8000) / 1000 }.sorted()
        let cumulative = bounds.map { bound in Double(values.filter { $0 <= bound }.count) }
        let delta = HistogramDelta(buckets: zip(bounds, cumulative).map { .init(upperBound: $0, count: $1) },
                                   sum: values.reduce(0, +), count: Double(n))
        for q in [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0] {
            let k = Int((q * Double(n)).rounded(.up))
            let exact = values[max(k, 1) - 1]
            let bucket = bounds.firstIndex { exact <= $0 }!
            let got = delta.quantile(q)
            if bounds[bucket].isInfinite {
                #expect(got == bounds[bounds.count - 2], "seed \(seed) q \(q)")
                continue
            }
            let lower = bucket == 0 ? 0 : bounds[bucket - 1]
            #expect(got >= lower && got <= bounds[bucket], "seed \(seed) q \(q): \(got) not in (\(lower), \(bounds[bucket])]")
            // Naive: walk the observations into buckets one by one.
            var below = 0.0
            var inBucket = 0.0
            for v in values {
                if bucket > 0 && v <= lower { below += 1 } else if v <= bounds[bucket] { inBucket += 1 }
            }
            let naive = lower + (bounds[bucket] - lower) * ((q * Double(n) - below) / inBucket)
            #expect(abs(got - naive) < 1e-9, "seed \(seed) q \(q)")
        }
    }

    @Test func scraperIngestRecordsWindowSamples() throws {
        let recorder = LatencyRecorder()
        let group = GroupSettings(name: "g", probe: nil, servers: [])
        let scraper = HistogramScraper(group: group, recorder: recorder, logger: .init(label: "test"))
        let scrape = GroupSettings.Scrape(url: "http://127.0.0.1:1/metrics", metric: "m")
        var baseline = HistogramBaseline()
        let first = try scraper.ingest("m_bucket{le=\"1\"} 1\nm_bucket{le=\"+Inf\"} 1\n", server: "s", scrape: scrape, at: 10, baseline: &baseline)
        #expect(first.isEmpty)
        let second = try scraper.ingest("m_bucket{le=\"1\"} 3\nm_bucket{le=\"2\"} 3\nm_bucket{le=\"+Inf\"} 3\n", server: "s",
                                        scrape: scrape, at: 20, baseline: &baseline)
        #expect(second.isEmpty)  // layout changed: a reset
        let third = try scraper.ingest("m_bucket{le=\"1\"} 4\nm_bucket{le=\"2\"} 6\nm_bucket{le=\"+Inf\"} 6\n", server: "s",
                                       scrape: scrape, at: 30, baseline: &baseline)
        #expect(third.map(\.seconds) == [1, 1.5, 1.5])
        #expect(third.allSatisfy { $0.source == .scrape && $0.atSeconds == 30 && $0.group == "g" && $0.server == "s" })
        #expect {
            _ = try scraper.ingest("m_bucket{le=\"1\"} oops\n", server: "s", scrape: scrape, at: 40, baseline: &baseline)
        } throws: { error in
            "\(error)" == "http://127.0.0.1:1/metrics: line 1: value \"oops\" is not a number"
        }
    }
}
