import Synchronization

/// Keeps recent latency samples per group for the detector and cumulative histograms for `/metrics`.
///
/// Memory is bounded twice: samples older than `retentionSeconds` (relative to the newest sample of the group) are
/// dropped, and each group keeps at most `maxSamplesPerGroup` samples (the oldest go first). The histogram and error
/// series grow only with the configured groups and servers, because every producer validates names first.
final class LatencyRecorder: Sendable {
    /// Latency buckets in seconds: 5 ms to 2 min, roughly ×2.5 apart (the study's task takes about a second).
    static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120]
    static let defaultMaxSamplesPerGroup = 200_000

    private struct SeriesKey: Hashable, Comparable {
        var group: String
        var server: String
        var source: LatencySample.Source

        static func < (a: Self, b: Self) -> Bool {
            (a.group, a.server, a.source.rawValue) < (b.group, b.server, b.source.rawValue)
        }
    }

    private struct ErrorKey: Hashable {
        var group: String
        var server: String
        var reason: String
    }

    private struct Histogram {
        /// Non-cumulative counts per finite bucket, then one for +Inf.
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    private struct State {
        /// Per group, sorted by `atSeconds` (ties keep arrival order).
        var samples: [String: [LatencySample]] = [:]
        var histograms: [SeriesKey: Histogram] = [:]
        var probeErrors: [ErrorKey: UInt64] = [:]
        var scrapeErrors: [ErrorKey: UInt64] = [:]
    }

    let bucketsSeconds: [Double]
    let retentionSeconds: Double
    let maxSamplesPerGroup: Int
    private let state = Mutex(State())

    /// - Parameters:
    ///   - bucketsSeconds: Finite upper bounds, strictly increasing; `+Inf` is implied.
    ///   - retentionSeconds: How far back ``samples(group:from:to:)`` can reach.
    ///   - maxSamplesPerGroup: A hard cap whatever the retention, against a flood of pushes.
    init(bucketsSeconds: [Double] = LatencyRecorder.defaultBuckets, retentionSeconds: Double = 3600,
         maxSamplesPerGroup: Int = LatencyRecorder.defaultMaxSamplesPerGroup) {
        let finite = bucketsSeconds.filter(\.isFinite)
        precondition(zip(finite, finite.dropFirst()).allSatisfy { $0 < $1 }, "buckets must increase strictly")
        self.bucketsSeconds = finite
        self.retentionSeconds = retentionSeconds
        self.maxSamplesPerGroup = max(1, maxSamplesPerGroup)
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
            var touched: Set<String> = []
            for sample in samples {
                touched.insert(sample.group)
                self.insert(sample, into: &state.samples[sample.group, default: []])
                switch sample.outcome {
                case .success:
                    self.observe(sample, in: &state.histograms)
                case .timeout:
                    state.probeErrors[ErrorKey(group: sample.group, server: sample.server, reason: "timeout"), default: 0] += 1
                case .error:
                    state.probeErrors[ErrorKey(group: sample.group, server: sample.server, reason: "error"), default: 0] += 1
                }
            }
            for group in touched { self.prune(&state.samples[group, default: []]) }
        }
    }

    /// Counts a failed scrape of a server's own histogram (unreachable, malformed, metric missing).
    func recordScrapeFailure(group: String, server: String) {
        self.state.withLock { $0.scrapeErrors[ErrorKey(group: group, server: server, reason: ""), default: 0] += 1 }
    }

    /// The group's retained samples with `atSeconds` in `[from, to)`, oldest first.
    func samples(group: String, from: Double, to: Double) -> [LatencySample] {
        self.state.withLock { state in
            guard let all = state.samples[group], from < to else { return [] }
            let start = Self.firstIndex(in: all) { $0.atSeconds >= from }
            let end = Self.firstIndex(in: all) { $0.atSeconds >= to }
            return start < end ? Array(all[start..<end]) : []
        }
    }

    /// `interferencewatch_server_latency_seconds` (histogram, successes only, cumulative since start),
    /// `interferencewatch_server_probe_errors_total` and `interferencewatch_server_scrape_errors_total`.
    func families() -> [MetricFamily] {
        let (histograms, probeErrors, scrapeErrors) = self.state.withLock { ($0.histograms, $0.probeErrors, $0.scrapeErrors) }
        var latency = MetricFamily(
            name: FamilySet.namespace + "_server_latency_seconds",
            help: "Latency of each server of a group: probe = client-observed, scrape = from the server's own histogram, push = sent to us. Failed probes are not observed.",
            kind: .histogram)
        let bounds = self.bucketsSeconds.map { ExpositionWriter.format($0) } + ["+Inf"]
        for key in histograms.keys.sorted() {
            let h = histograms[key]!
            let labels: [(name: String, value: String)] = [("group", key.group), ("server", key.server), ("source", key.source.rawValue)]
            var cumulative: UInt64 = 0
            for (index, bound) in bounds.enumerated() {
                cumulative += h.counts[index]
                latency.samples.append(.init(suffix: "_bucket", labels: labels + [("le", bound)], value: Double(cumulative)))
            }
            latency.samples.append(.init(suffix: "_sum", labels: labels, value: h.sum))
            latency.samples.append(.init(suffix: "_count", labels: labels, value: Double(h.count)))
        }
        var probe = MetricFamily(name: FamilySet.namespace + "_server_probe_errors_total",
                                 help: "Probes of a server that failed, by reason (timeout, or error: refused, non-2xx, body too large).",
                                 kind: .counter)
        for (key, value) in probeErrors.sorted(by: { ($0.key.group, $0.key.server, $0.key.reason) < ($1.key.group, $1.key.server, $1.key.reason) }) {
            probe.samples.append(.init(labels: [("group", key.group), ("server", key.server), ("reason", key.reason)], value: Double(value)))
        }
        var scrape = MetricFamily(name: FamilySet.namespace + "_server_scrape_errors_total",
                                  help: "Scrapes of a server's own latency histogram that failed or could not be parsed.",
                                  kind: .counter)
        for (key, value) in scrapeErrors.sorted(by: { ($0.key.group, $0.key.server) < ($1.key.group, $1.key.server) }) {
            scrape.samples.append(.init(labels: [("group", key.group), ("server", key.server)], value: Double(value)))
        }
        return [latency, probe, scrape]
    }

    // MARK: - Private

    private func observe(_ sample: LatencySample, in histograms: inout [SeriesKey: Histogram]) {
        guard sample.seconds.isFinite, sample.seconds >= 0 else { return }
        let key = SeriesKey(group: sample.group, server: sample.server, source: sample.source)
        var h = histograms[key] ?? Histogram(counts: Array(repeating: 0, count: self.bucketsSeconds.count + 1))
        // `le` is inclusive: a value equal to a bound belongs to that bucket.
        let index = Self.firstIndex(in: self.bucketsSeconds) { $0 >= sample.seconds }
        h.counts[index] += 1
        h.sum += sample.seconds
        h.count += 1
        histograms[key] = h
    }

    private func insert(_ sample: LatencySample, into list: inout [LatencySample]) {
        if let last = list.last, last.atSeconds > sample.atSeconds {
            // Late arrivals (pushes with an `at`, a slow scrape) go after any equal time, keeping arrival order.
            let index = Self.firstIndex(in: list) { $0.atSeconds > sample.atSeconds }
            list.insert(sample, at: index)
        } else {
            list.append(sample)
        }
    }

    private func prune(_ list: inout [LatencySample]) {
        guard let newest = list.last?.atSeconds else { return }
        var drop = Self.firstIndex(in: list) { $0.atSeconds >= newest - self.retentionSeconds }
        drop = max(drop, list.count - self.maxSamplesPerGroup)
        if drop > 0 { list.removeFirst(drop) }
    }

    /// Binary search: the first index whose element satisfies a predicate that is false then true along the array.
    private static func firstIndex<T>(in array: [T], where predicate: (T) -> Bool) -> Int {
        var low = 0
        var high = array.count
        while low < high {
            let mid = (low + high) / 2
            if predicate(array[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
