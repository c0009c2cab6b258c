/// How unequally the servers of a group performed in one window, from their median latencies.
///
/// An infinite median (a server whose requests mostly failed) is the worst possible value: the measures then take
/// their limits as that median grows without bound. With `k` of `n` medians infinite, the max/min ratio is
/// `+infinity`, Jain's index is `k / n` and the coefficient of variation is `sqrt((n - k) / k)`.
public struct GroupImbalance: Sendable, Equatable, Codable {
    /// Slowest median over fastest median (>= 1); `+infinity` when the fastest median is 0 or one is infinite.
    public var maxMinRatio: Double
    /// Jain's fairness index `(Σx)² / (n Σx²)`, in `1/n ... 1`; 1 when all medians are equal.
    public var fairnessIndex: Double
    /// Population standard deviation of the medians over their mean (>= 0).
    public var coefficientOfVariation: Double

    public init(maxMinRatio: Double, fairnessIndex: Double, coefficientOfVariation: Double) {
        self.maxMinRatio = maxMinRatio
        self.fairnessIndex = fairnessIndex
        self.coefficientOfVariation = coefficientOfVariation
    }

    /// Measures the imbalance of medians.
    ///
    /// - Returns: `nil` with fewer than two medians, with a negative or NaN median, or when all are 0 (nothing to
    ///   compare).
    public init?(medians: [Double]) {
        guard medians.count >= 2, !medians.contains(where: { $0.isNaN || $0 < 0 }) else { return nil }
        let n = Double(medians.count)
        let infinite = Double(medians.count { $0.isInfinite })
        if infinite > 0 {
            self.init(maxMinRatio: infinite == n ? 1 : .infinity, fairnessIndex: infinite / n,
                      coefficientOfVariation: ((n - infinite) / infinite).squareRoot())
            return
        }
        let sum = medians.reduce(0, +)
        guard sum > 0, let low = medians.min(), let high = medians.max() else { return nil }
        let sumOfSquares = medians.reduce(0) { $0 + $1 * $1 }
        let mean = sum / n
        let variance = medians.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        self.init(
            maxMinRatio: low > 0 ? high / low : .infinity,
            // Clamped: rounding can push an exactly fair group a hair above 1.
            fairnessIndex: min(1, max(1 / n, sum * sum / (n * sumOfSquares))),
            coefficientOfVariation: variance.squareRoot() / mean)
    }
}
