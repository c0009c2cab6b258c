import Detectors
import Foundation
import Synchronization

/// Keeps recent latency samples per group for the detector and cumulative histograms for `/metrics`.
///
/// Every sample is stamped with its arrival (``LatencySample/recordedAtSeconds``) and kept in a ``LatencyLog``,
/// the same structure replay reads stored samples through. Memory is bounded twice: samples that arrived more than
/// `retentionSeconds` before the group's newest are dropped, and each group keeps at most `maxSamplesPerGroup`
/// samples (the oldest go first). The histogram and error series grow only with the configured groups and servers,
/// because every producer validates names first.
final class LatencyRecorder: Sendable {
    /// Latency buckets in seconds: 5 ms to 2 min, roughly ×2.5 apart (the study's task takes about a second).
    static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120]
    static let defaultMaxSamplesPerGroup = 200_000

    struct SeriesKey: Hashable, Comparable {
        var group: String
        var server: String
        var source: LatencySample.Source

        static func < (a: Self, b: Self) -> Bool {
            (a.group, a.server, a.source.rawValue) < (b.group, b.server, b.source.rawValue)
        }
    }

    struct ErrorKey: Hashable {
        var group: String
        var server: String
        var reason: String
    }

    struct Histogram {
        /// Non-cumulative counts per finite bucket, then one for +Inf.
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    /// What ``totals`` returns: cumulative since start.
    struct Totals {
        var histograms: [SeriesKey: Histogram]
        var probeErrors: [ErrorKey: UInt64]
        var scrapeErrors: [ErrorKey: UInt64]
    }

    private struct State {
        var log: LatencyLog
        var sink: (@Sendable ([LatencySample]) -> Void)?
        var histograms: [SeriesKey: Histogram] = [:]
        var probeErrors: [ErrorKey: UInt64] = [:]
        var scrapeErrors: [ErrorKey: UInt64] = [:]
    }

    let bucketsSeconds: [Double]
    let retentionSeconds: Double
    let maxSamplesPerGroup: Int
    private let now: @Sendable () -> Double
    private let uptime: (@Sendable () -> Double)?
    private let state: Mutex<State>

    /// - Parameters:
    ///   - bucketsSeconds: Finite upper bounds, strictly increasing; `+Inf` is implied.
    ///   - retentionSeconds: How far back ``samples(group:from:to:)`` can reach.
    ///   - maxSamplesPerGroup: A hard cap whatever the retention, against a flood of pushes.
    ///   - now: Unix time, stamped on each sample as it is recorded.
    ///   - uptime: the boot clock, read with `now`, so a wall clock stepped forward does not age the samples kept
    ///     (``LatencyLog/stamp(nowSeconds:uptimeSeconds:)``); `nil` (tests with a hand-moved wall clock) leaves
    ///     retention to the wall clock alone.
    init(bucketsSeconds: [Double] = LatencyRecorder.defaultBuckets, retentionSeconds: Double = 3600,
         maxSamplesPerGroup: Int = LatencyRecorder.defaultMaxSamplesPerGroup,
         now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }, uptime: (@Sendable () -> Double)? = nil) {
        let finite = bucketsSeconds.filter(\.isFinite)
        precondition(zip(finite, finite.dropFirst()).allSatisfy { $0 < $1 }, "buckets must increase strictly")
        self.bucketsSeconds = finite
        self.retentionSeconds = retentionSeconds
        self.maxSamplesPerGroup = max(1, maxSamplesPerGroup)
        self.now = now
        self.uptime = uptime
        self.state = Mutex(State(log: LatencyLog(retentionSeconds: retentionSeconds, maxSamplesPerGroup: maxSamplesPerGroup)))
    }

    /// Creates zero-valued error counters for every probed server, so a rate() over them works from the first scrape.
    func declare(groups: [GroupSettings]) {
        self.state.withLock { state in
            for group in groups {
                for server in group.servers {
                    if group.probe != nil {
                        for reason in ["timeout", "error"] {
                            state.probeErrors[ErrorKey(group: group.name, server: server.name, reason: reason), default: 0] += 0
                        }
                    }
                    if server.scrape != nil {
                        state.scrapeErrors[ErrorKey(group: group.name, server: server.name, reason: ""), default: 0] += 0
                    }
                }
            }
        }
    }

    func record(_ samples: [LatencySample]) {
        guard !samples.isEmpty else { return }
        self.state.withLock { state in
            // Stamped under the lock, so arrival order and arrival stamps agree and history holds exactly what the
            // log holds (``LatencyLog/stamp(nowSeconds:uptimeSeconds:)``: jitter is clamped, a wall clock stepped back restarts it).
            let arrival = state.log.stamp(nowSeconds: self.now(), uptimeSeconds: self.uptime?())
            var stamped: [LatencySample] = []
            stamped.reserveCapacity(samples.count)
            for var sample in samples {
                sample.recordedAtSeconds = arrival
                stamped.append(sample)
                switch sample.outcome {
                case .success:
                    self.observe(sample, in: &state.histograms)
                case .timeout:
                    state.probeErrors[ErrorKey(group: sample.group, server: sample.server, reason: "timeout"), default: 0] += 1
                case .error:
                    state.probeErrors[ErrorKey(group: sample.group, server: sample.server, reason: "error"), default: 0] += 1
                }
            }
            state.log.append(contentsOf: stamped)
            // In the lock, so the sink (history) sees batches in arrival order; it only queues.
            state.sink?(stamped)
        }
    }

    /// Hands every recorded batch, stamped, to `sink` from now on (the history writer's queue).
    func setSink(_ sink: @escaping @Sendable ([LatencySample]) -> Void) {
        self.state.withLock { $0.sink = sink }
    }

    /// Counts a failed scrape of a server's own histogram (unreachable, malformed, metric missing).
    func recordScrapeFailure(group: String, server: String) {
        self.state.withLock { $0.scrapeErrors[ErrorKey(group: group, server: server, reason: ""), default: 0] += 1 }
    }

    /// The group's retained samples that arrived in `[from, to)`, in arrival order.
    func samples(group: String, from: Double, to: Double) -> [LatencySample] {
        self.state.withLock { $0.log.samples(group: group, from: from, to: to) }
    }

    /// The same samples, compact (``LatencyLog/window(group:from:to:)``): what detection reads.
    func window(group: String, from: Double, to: Double) -> LatencyLog.Window {
        self.state.withLock { $0.log.window(group: group, from: from, to: to) }
    }

    /// Every retained sample (each group in arrival order).
    var allSamples: [LatencySample] { self.state.withLock { $0.log.all } }

    /// The cumulative histograms and error counters, for the exposition.
    var totals: Totals {
        self.state.withLock { Totals(histograms: $0.histograms, probeErrors: $0.probeErrors, scrapeErrors: $0.scrapeErrors) }
    }

    // MARK: - Private

    private func observe(_ sample: LatencySample, in histograms: inout [SeriesKey: Histogram]) {
        guard sample.seconds.isFinite, sample.seconds >= 0 else { return }
        let key = SeriesKey(group: sample.group, server: sample.server, source: sample.source)
        // `le` is inclusive: a value equal to a bound belongs to that bucket.
        let index = BinarySearch.firstIndex(in: self.bucketsSeconds) { $0 >= sample.seconds }
        let buckets = self.bucketsSeconds.count + 1
        // Updated in place: a copy out and back in made the counts array a fresh allocation for every sample,
        // 5,000 a second under the recorder's lock at the push limit.
        Self.add(sample.seconds, bucket: index, to: &histograms[key, default: Histogram(counts: Array(repeating: 0, count: buckets))])
    }

    private static func add(_ seconds: Double, bucket: Int, to histogram: inout Histogram) {
        histogram.counts[bucket] += 1
        histogram.sum += seconds
        histogram.count += 1
    }
}
