import FuzzSupport
import Parsers

// A server's Prometheus text exposition, read for one histogram as the scraper reads it (all series, then one
// label selector). A parsed histogram is well formed: sorted bounds ending with +Inf, non-decreasing cumulative
// counts, nothing negative or NaN.
Fuzz.run { bytes in
    let text = Fuzz.text(bytes)
    for labels in [[:], ["handler": "/task"]] {
        guard let histogram = try? ScrapedHistogram.parse(text, metric: "http_request_duration_seconds", labels: labels) else {
            continue
        }
        Fuzz.require(histogram.buckets.last?.upperBound == .infinity, "no +Inf bucket")
        for (a, b) in zip(histogram.buckets, histogram.buckets.dropFirst()) {
            Fuzz.require(a.upperBound < b.upperBound, "bounds not sorted")
            Fuzz.require(a.count <= b.count, "cumulative counts decrease")
        }
        for value in histogram.buckets.map(\.count) + [histogram.sum, histogram.count] {
            Fuzz.require(value >= 0 && !value.isNaN, "negative or NaN value \(value)")
        }
    }
}
