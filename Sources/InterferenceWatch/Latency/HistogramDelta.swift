import Parsers
/// What a server's histogram observed between two scrapes: the difference of two cumulative snapshots.
///
/// Pure value logic with no I/O, so the reset rule and the quantile can be tested on their own (below's
/// `count_per_sec!`: a counter that goes backwards gives no value, never a negative one).
struct HistogramDelta: Sendable, Equatable {
    /// Cumulative counts observed in the window, sorted by upper bound, ending with `+Inf`.
    var buckets: [ScrapedHistogram.Bucket]
    var sum: Double
    var count: Double

    init(buckets: [ScrapedHistogram.Bucket], sum: Double, count: Double) {
        self.buckets = buckets
        self.sum = sum
        self.count = count
    }

    /// The observations between `previous` and `current`; `nil` after a counter reset.
    ///
    /// A reset is any bucket or the count going down, or the bucket layout changing (the server restarted, perhaps
    /// with another version). The caller then keeps `current` as the new baseline and skips this window.
    init?(previous: ScrapedHistogram, current: ScrapedHistogram) {
        guard previous.buckets.count == current.buckets.count, current.count >= previous.count else { return nil }
        var buckets: [ScrapedHistogram.Bucket] = []
        buckets.reserveCapacity(current.buckets.count)
        for (old, new) in zip(previous.buckets, current.buckets) {
            guard old.upperBound == new.upperBound, new.count >= old.count else { return nil }
            buckets.append(.init(upperBound: new.upperBound, count: new.count - old.count))
        }
        self.buckets = buckets
        self.sum = max(0, current.sum - previous.sum)
        self.count = current.count - previous.count
    }

    /// The `q`-quantile of the window, interpolating linearly inside the bucket as Prometheus' `histogram_quantile` does.
    ///
    /// Same edge cases as Prometheus (`promql/quantile.go`): `q < 0` → `-Inf`, `q > 1` → `+Inf`, no observations or
    /// fewer than two buckets → NaN, a rank in the `+Inf` bucket → the largest finite bound, the first bucket's lower
    /// bound is 0 (or the bound itself when it is not positive).
    func quantile(_ q: Double) -> Double {
        if q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        guard self.buckets.count >= 2, self.buckets.last?.upperBound == .infinity else { return .nan }
        let observations = self.buckets.last!.count
        guard observations > 0 else { return .nan }
        var rank = q * observations
        // The first bucket (excluding +Inf) holding the rank.
        var b = self.buckets.count - 1
        for index in 0..<(self.buckets.count - 1) where self.buckets[index].count >= rank {
            b = index
            break
        }
        if b == self.buckets.count - 1 { return self.buckets[b - 1].upperBound }
        if b == 0 && self.buckets[0].upperBound <= 0 { return self.buckets[0].upperBound }
        var start = 0.0
        let end = self.buckets[b].upperBound
        var count = self.buckets[b].count
        if b > 0 {
            start = self.buckets[b - 1].upperBound
            count -= self.buckets[b - 1].count
            rank -= self.buckets[b - 1].count
        }
        // q = 0 with an empty first bucket: the interval is empty, its start is the honest answer.
        guard count > 0 else { return start }
        return start + (end - start) * (rank / count)
    }

    /// Stand-in observations for the detector: for each bucket's count c in (lo, hi], c values at its midpoint.
    ///
    /// The first bucket uses its upper bound and `+Inf` its lower bound (no better guess exists without the raw
    /// values); a histogram with only `+Inf` uses the window's mean. When the window holds more than `cap`
    /// observations, every bucket is scaled down in proportion (largest remainders), so the shape is kept.
    func representativeValues(cap: Int = 500) -> [Double] {
        var perBucket: [(value: Double, count: Double)] = []
        var previous = 0.0
        for (index, bucket) in self.buckets.enumerated() {
            let c = bucket.count - previous
            previous = bucket.count
            guard c > 0 else { continue }
            let value: Double
            if index == 0 {
                value = bucket.upperBound.isFinite ? bucket.upperBound : (self.count > 0 ? self.sum / self.count : 0)
            } else if !bucket.upperBound.isFinite {
                value = self.buckets[index - 1].upperBound
            } else {
                value = (self.buckets[index - 1].upperBound + bucket.upperBound) / 2
            }
            perBucket.append((value, c.rounded()))
        }
        let total = perBucket.reduce(0) { $0 + $1.count }
        guard total > 0 else { return [] }
        var counts = perBucket.map { Int($0.count) }
        if total > Double(cap) {
            let scaled = perBucket.map { $0.count * Double(cap) / total }
            counts = scaled.map { Int($0.rounded(.down)) }
            let missing = max(0, cap) - counts.reduce(0, +)
            let byRemainder = scaled.indices.sorted { (scaled[$0] - scaled[$0].rounded(.down)) > (scaled[$1] - scaled[$1].rounded(.down)) }
            for index in byRemainder.prefix(missing) { counts[index] += 1 }
        }
        var values: [Double] = []
        values.reserveCapacity(counts.reduce(0, +))
        for (index, entry) in perBucket.enumerated() {
            values.append(contentsOf: repeatElement(entry.value, count: counts[index]))
        }
        return values
    }
}
