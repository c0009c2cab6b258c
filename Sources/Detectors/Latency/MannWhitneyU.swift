#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One-sided Mann-Whitney U test: are the values of `x` stochastically greater (slower) than those of `y`?
///
/// `U` counts the pairs `(xi, yj)` with `xi > yj`, ties counting one half. The p-value uses the normal
/// approximation with the tie correction of the variance and a continuity correction of 0.5:
/// `z = (U - n m / 2 - 0.5) / σ`, `σ² = n m / 12 · ((N + 1) - Σ(t³ - t) / (N (N - 1)))`, `p = P(Z >= z)`.
///
/// When no value of `x` equals a value of `y` (ties inside one side do not change `U`), the smaller side has at
/// most ``exactMaximumSmallerSide`` values and `n · m <= ` ``exactLimit``, the p-value is exact instead: the null
/// distribution of `U` is the Gaussian binomial coefficient `[n + m choose n]_q`, built in `O(min(n, m) · n · m)`.
/// Larger samples keep the normal approximation, which is good there and much cheaper. Exactness matters in the tails: 3 timeouts against 60 peer successes have an
/// exact p of 1 / C(63, 3) ≈ 2.5e-5, where the normal approximation says 0.002.
///
/// `+infinity` (a failed request) ranks above every finite value and ties with other failures.
public struct MannWhitneyU: Sendable, Equatable, Codable {
    /// The U statistic of `x`: pairs where `x` is greater, ties counted as one half. Ranges over `0...n·m`.
    public var u: Double
    /// Standardised statistic (continuity corrected); 0 when the variance is zero (all values tied).
    public var z: Double
    /// One-sided p-value for "x is greater than y"; 1 when every value is tied.
    public var pValue: Double
    /// Whether ``pValue`` comes from the exact distribution rather than the normal approximation.
    public var exact: Bool
    /// Sizes of `x` and `y` (NaN values dropped).
    public var n: Int
    public var m: Int
    /// Null variance of `U`, tie corrected.
    public var variance: Double

    public init(u: Double, z: Double, pValue: Double, exact: Bool = false, n: Int = 0, m: Int = 0, variance: Double = 0) {
        self.u = u
        self.z = z
        self.pValue = pValue
        self.exact = exact
        self.n = n
        self.m = m
        self.variance = variance
    }

    /// `U - n m / 2` divided by `N + 1` (`N = n + m`): the rank-sum deviation on van Elteren's scale, the same as
    /// ``AlignedRankTest/deviation``, so that windows tested either way add up as evidence.
    public var scaledDeviation: Double { (self.u - Double(self.n * self.m) / 2) / Double(self.n + self.m + 1) }
    /// ``variance`` divided by `(N + 1)²`.
    public var scaledVariance: Double { self.variance / (Double(self.n + self.m + 1) * Double(self.n + self.m + 1)) }

    /// Largest `n · m` for which the exact distribution is used.
    public static let exactLimit = 10_000
    /// Largest `min(n, m)` for which the exact distribution is used.
    public static let exactMaximumSmallerSide = 10

    /// Tests whether `x` tends to be greater than `y`.
    ///
    /// - Returns: `nil` when either side is empty. NaN values are ignored.
    public static func test(_ x: [Double], greaterThan y: [Double]) -> MannWhitneyU? {
        var xs = x.filter { !$0.isNaN }, ys = y.filter { !$0.isNaN }
        guard !xs.isEmpty, !ys.isEmpty else { return nil }
        let n = Double(xs.count), m = Double(ys.count), total = n + m
        // Each side sorted on its own, then walked together one tie run at a time, each run given its mid-rank:
        // the runs, and so the sums, are those of sorting the pooled values, without a pooled copy of (value,
        // side) pairs. A detection window compares 150,000 pushed samples; the pooled copy and its sort buffer
        // were the daemon's largest transient allocation.
        xs.sort()
        ys.sort()
        var rankSumX = 0.0
        var tieTerm = 0.0
        var crossTies = false
        var start = 0, i = 0, j = 0
        while i < xs.count || j < ys.count {
            let value = j == ys.count || (i < xs.count && xs[i] <= ys[j]) ? xs[i] : ys[j]
            let runStartX = i, runStartY = j
            while i < xs.count && xs[i] == value { i += 1 }
            while j < ys.count && ys[j] == value { j += 1 }
            let inX = i - runStartX, inY = j - runStartY
            let end = start + inX + inY
            let midRank = Double(start + end + 1) / 2  // ranks are 1-based: (start+1 + end) / 2
            if inX > 0 && inY > 0 { crossTies = true }
            rankSumX += midRank * Double(inX)
            let t = Double(end - start)
            tieTerm += t * t * t - t
            start = end
        }
        let u = rankSumX - n * (n + 1) / 2
        let mean = n * m / 2
        let variance = n * m / 12 * ((total + 1) - tieTerm / (total * (total - 1)))
        guard variance > 0 else { return MannWhitneyU(u: u, z: 0, pValue: 1, n: xs.count, m: ys.count) }
        let z = (u - mean - 0.5) / variance.squareRoot()
        if !crossTies && xs.count * ys.count <= MannWhitneyU.exactLimit
            && min(xs.count, ys.count) <= MannWhitneyU.exactMaximumSmallerSide {
            // Without cross ties U is an integer.
            let p = MannWhitneyU.exactUpperTail(u: Int(u.rounded()), n: xs.count, m: ys.count)
            return MannWhitneyU(u: u, z: z, pValue: p, exact: true, n: xs.count, m: ys.count, variance: variance)
        }
        return MannWhitneyU(u: u, z: z, pValue: MannWhitneyU.upperTail(z), n: xs.count, m: ys.count,
                            variance: variance)
    }

    /// Exact `P(U >= u)` under the null hypothesis, for sizes `n` and `m` without ties.
    ///
    /// The number of arrangements with `U = k` is the coefficient of `q^k` in `[n + m choose n]_q
    /// = Π_{i=1...s} (1 - q^(l+i)) / (1 - q^i)` with `s = min(n, m)` and `l = max(n, m)`. Each step multiplies by
    /// one numerator factor, then divides by one denominator factor, so every intermediate polynomial is
    /// `[l + i choose i]_q`, with non-negative coefficients.
    static func exactUpperTail(u: Int, n: Int, m: Int) -> Double {
        let small = min(n, m), large = max(n, m), degree = n * m
        guard small > 0, u > 0 else { return 1 }
        guard u <= degree else { return 0 }
        var counts = [Double](repeating: 0, count: degree + 1)
        counts[0] = 1
        for i in 1...small {
            let numeratorShift = large + i
            if numeratorShift <= degree {
                for k in stride(from: degree, through: numeratorShift, by: -1) { counts[k] -= counts[k - numeratorShift] }
            }
            for k in i...degree { counts[k] += counts[k - i] }
        }
        var tail = 0.0, total = 0.0
        for k in 0...degree {
            let c = max(0, counts[k])  // rounding can leave -0.0-ish values at the far ends
            total += c
            if k >= u { tail += c }
        }
        return total > 0 ? min(1, tail / total) : 1
    }

    /// `P(Z >= z)` for a standard normal `Z`.
    static func upperTail(_ z: Double) -> Double {
        0.5 * erfc(z / 2.0.squareRoot())
    }
}
