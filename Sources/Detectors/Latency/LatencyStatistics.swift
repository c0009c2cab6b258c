/// Summary of one server's request latencies over one window.
///
/// Failures (timeouts, errors) count as `+infinity` seconds: worse than any success. A quantile that falls among
/// them is `+infinity`, so a server whose requests mostly fail has an infinite median rather than looking fast on
/// its few successes. Encoding such a value to JSON needs `JSONEncoder.nonConformingFloatEncodingStrategy`.
///
/// Quantiles use the linear interpolation between order statistics of Hyndman & Fan type 7 (the default of R,
/// NumPy and Prometheus' `quantile_over_time`): for `N` values sorted ascending, `h = (N - 1) q`, and the quantile
/// is `x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋ + 1] - x[⌊h⌋])`. The median is the usual middle value (mean of the two middle ones).
public struct LatencyStatistics: Sendable, Equatable, Codable {
    /// Successful requests.
    public var count: Int
    /// Failed requests (timeouts and errors).
    public var failures: Int
    /// Median in seconds over successes and failures; `nil` when there was no request at all.
    public var median: Double?
    /// 90th percentile in seconds; `nil` when there was no request.
    public var p90: Double?
    /// 99th percentile in seconds; `nil` when there was no request.
    public var p99: Double?
    /// Mean of the successful latencies in seconds (failures have no finite duration); `nil` without successes.
    public var mean: Double?

    /// Summarises latencies of successes plus a number of failures.
    ///
    /// - Parameters:
    ///   - latenciesSeconds: successful request latencies, in any order. Non-finite or negative values are
    ///     not expected; NaN values are dropped.
    ///   - failures: failed requests, ranked as `+infinity`.
    public init(latenciesSeconds: [Double], failures: Int = 0) {
        let sorted = LatencyStatistics.rankedValues(latenciesSeconds: latenciesSeconds, failures: failures)
        self.count = latenciesSeconds.count { !$0.isNaN }
        self.failures = max(0, failures)
        self.median = LatencyStatistics.quantile(0.5, ofSorted: sorted)
        self.p90 = LatencyStatistics.quantile(0.9, ofSorted: sorted)
        self.p99 = LatencyStatistics.quantile(0.99, ofSorted: sorted)
        let successes = sorted.prefix { $0.isFinite }
        self.mean = successes.isEmpty ? nil : successes.reduce(0, +) / Double(successes.count)
    }

    /// Memberwise initialiser, for decoding fixtures and tests.
    public init(count: Int, failures: Int, median: Double?, p90: Double?, p99: Double?, mean: Double?) {
        self.count = count
        self.failures = failures
        self.median = median
        self.p90 = p90
        self.p99 = p99
        self.mean = mean
    }

    /// Successes sorted ascending followed by one `+infinity` per failure: the values ranks and quantiles use.
    public static func rankedValues(latenciesSeconds: [Double], failures: Int) -> [Double] {
        var values = latenciesSeconds.filter { !$0.isNaN }
        values.sort()
        values.append(contentsOf: repeatElement(Double.infinity, count: max(0, failures)))
        return values
    }

    /// The type-7 quantile of values already sorted ascending (see the type's documentation).
    ///
    /// - Parameters:
    ///   - q: the probability, clamped to 0...1.
    ///   - sorted: values sorted ascending; may end with `+infinity` entries.
    /// - Returns: `nil` for an empty array; `+infinity` when the quantile touches an infinite value.
    public static func quantile(_ q: Double, ofSorted sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let p = min(1, max(0, q.isNaN ? 0.5 : q))
        let h = Double(sorted.count - 1) * p
        let lowIndex = Int(h.rounded(.down))
        let fraction = h - Double(lowIndex)
        let low = sorted[lowIndex]
        // Without this guard `inf + 0 * (inf - inf)` would give NaN.
        if fraction == 0 || lowIndex + 1 >= sorted.count { return low }
        let high = sorted[lowIndex + 1]
        if !low.isFinite || !high.isFinite { return high.isFinite ? low : Double.infinity }
        return low + fraction * (high - low)
    }
}
