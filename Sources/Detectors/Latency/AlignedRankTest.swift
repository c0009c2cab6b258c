#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One-sided aligned-rank test over rounds of simultaneous requests: is one server slower than its peers *within*
/// the rounds? (Hodges and Lehmann's aligned ranks for a blocked design, with the exact conditional null.)
///
/// Each round is aligned by its own median: every value of the round (the server's and its peers') is divided by
/// the round's median, which takes out what slowed the whole host at that moment. All aligned values of all rounds
/// are then ranked together (mid-ranks for ties), so a round where the server was twice as slow counts more than one
/// where it was a little slower, but no single round counts more than its rank.
///
/// The statistic `T` is the sum of the server's ranks. Under the null hypothesis the servers of a round are
/// exchangeable, so given the aligned values, the server's rank in each round is equally likely to be any of that
/// round's ranks, independently across rounds: the null distribution of `T` is the convolution of those uniform
/// distributions. It is computed exactly when that is cheap (``exactLimit``), else with the normal approximation
/// (the sum of the rounds' means and variances, continuity corrected). The exact p-value of `R` rounds of `k`
/// servers cannot go below `k^-R` (six rounds of four: 2.4e-4): few rounds are weak evidence, however slow.
///
/// `+infinity` (a failed request) ranks above every finite value and ties with other failures; a round whose
/// median is infinite aligns its failures to 1 and its successes to 0.
public struct AlignedRankTest: Sendable, Equatable, Codable {
    /// Rounds compared (rounds with the server and at least one peer).
    public var rounds: Int
    /// One-sided p-value of "the server is slower than its peers"; 1 when every value is tied.
    public var pValue: Double
    /// Whether ``pValue`` comes from the exact distribution.
    public var exact: Bool
    /// `T - E[T]` divided by `N + 1` (`N` the number of ranked values): the rank-sum deviation on van Elteren's
    /// scale, so that the evidence of blocks of different sizes can be added (``RankEvidence``).
    public var deviation: Double
    /// The null variance of `T`, divided by `(N + 1)²`.
    public var variance: Double
    /// Median over the rounds of the server's latency over its peers' median in the same round; `+infinity` when
    /// the server failed where its peers did not.
    public var peerRatio: Double

    public init(rounds: Int, pValue: Double, exact: Bool, deviation: Double, variance: Double, peerRatio: Double) {
        self.rounds = rounds
        self.pValue = pValue
        self.exact = exact
        self.deviation = deviation
        self.variance = variance
        self.peerRatio = peerRatio
    }

    /// Largest `rounds × support × servers` (the exact convolution's work) for which the p-value is exact.
    public static let exactLimit = 2_000_000

    /// Tests whether the server is slower than its peers over the rounds.
    ///
    /// - Parameters:
    ///   - rounds: per round, the server's latency and its peers' (`+infinity` for a failure). Rounds without a
    ///     peer are skipped; NaN values are dropped.
    ///   - scale: the server's latencies are divided by this before ranking (1: the plain test). With `scale > 1`
    ///     the test asks whether the server is slower than its peers by more than `scale`.
    /// - Returns: `nil` when no round has both the server and a peer.
    public static func test(_ rounds: [(server: Double, peers: [Double])], scale: Double = 1) -> AlignedRankTest? {
        let usable = rounds.compactMap { round -> (server: Double, peers: [Double])? in
            let peers = round.peers.filter { !$0.isNaN }
            return round.server.isNaN || peers.isEmpty ? nil : (round.server, peers)
        }
        guard !usable.isEmpty else { return nil }
        let divisor = scale.isFinite && scale > 0 ? scale : 1

        // Align each round by its median; the server's value is first in its round.
        var aligned: [Double] = []
        var roundOf: [Int] = []
        var ratios: [Double] = []
        for (index, round) in usable.enumerated() {
            let values = [round.server / divisor] + round.peers
            let median = LatencyStatistics.quantile(0.5, ofSorted: values.sorted()) ?? 1
            for value in values {
                aligned.append(AlignedRankTest.ratio(value, median))
                roundOf.append(index)
            }
            let peerMedian = LatencyStatistics.quantile(0.5, ofSorted: round.peers.sorted()) ?? 1
            ratios.append(AlignedRankTest.ratio(round.server, peerMedian))
        }

        // Doubled mid-ranks over all aligned values: integers, so the convolution runs over integer sums.
        // Mid-ranks are whole or halves, so doubling them is exact.
        let doubledRank = RankCorrelation.midRanks(aligned).map { Int(($0 * 2).rounded()) }
        var ranksOfRound = [[Int]](repeating: [], count: usable.count)
        var observed = 0
        var firstOfRound = [Bool](repeating: true, count: usable.count)
        for (position, round) in roundOf.enumerated() {
            ranksOfRound[round].append(doubledRank[position])
            if firstOfRound[round] {
                observed += doubledRank[position]
                firstOfRound[round] = false
            }
        }

        var mean = 0.0, variance = 0.0
        for ranks in ranksOfRound {
            let k = Double(ranks.count)
            let mu = Double(ranks.reduce(0, +)) / k
            mean += mu
            variance += ranks.reduce(0.0) { $0 + (Double($1) - mu) * (Double($1) - mu) } / k
        }
        ratios.sort()
        let peerRatio = LatencyStatistics.quantile(0.5, ofSorted: ratios) ?? 1
        // Doubled ranks: divide by 2 (N + 1) for van Elteren's scale.
        let scaleFactor = 2 * Double(aligned.count + 1)
        let deviation = (Double(observed) - mean) / scaleFactor
        let scaledVariance = variance / (scaleFactor * scaleFactor)
        guard variance > 0 else {
            return AlignedRankTest(rounds: usable.count, pValue: 1, exact: true, deviation: 0, variance: 0,
                                   peerRatio: peerRatio)
        }

        let support = ranksOfRound.reduce(0) { $0 + ($1.max() ?? 0) }
        let work = ranksOfRound.count * support * (ranksOfRound.map(\.count).max() ?? 1)
        if work <= AlignedRankTest.exactLimit {
            let p = AlignedRankTest.exactUpperTail(observed: observed, ranksOfRound: ranksOfRound)
            return AlignedRankTest(rounds: usable.count, pValue: p, exact: true, deviation: deviation,
                                   variance: scaledVariance, peerRatio: peerRatio)
        }
        // Doubled ranks move in steps of at least 1, usually 2: a continuity correction of half a step of 2.
        let z = (Double(observed) - mean - 1) / variance.squareRoot()
        return AlignedRankTest(rounds: usable.count, pValue: MannWhitneyU.upperTail(z), exact: false,
                               deviation: deviation, variance: scaledVariance, peerRatio: peerRatio)
    }

    /// `P(T >= observed)` where `T` is the sum over rounds of one rank drawn uniformly from each round's ranks.
    static func exactUpperTail(observed: Int, ranksOfRound: [[Int]]) -> Double {
        var distribution = [1.0]  // distribution[s] = P(sum of the rounds so far == s)
        for ranks in ranksOfRound {
            let weight = 1 / Double(ranks.count)
            var counts: [Int: Int] = [:]
            for rank in ranks { counts[rank, default: 0] += 1 }
            var next = [Double](repeating: 0, count: distribution.count + (ranks.max() ?? 0))
            // In rank order: a dictionary's order differs from one instance to the next, and the sums below would
            // then round differently, so replay would not reproduce the live p-value to the last bit.
            for (rank, count) in counts.sorted(by: { $0.key < $1.key }) {
                let p = weight * Double(count)
                for sum in distribution.indices where distribution[sum] > 0 { next[sum + rank] += distribution[sum] * p }
            }
            distribution = next
        }
        guard observed < distribution.count else { return 0 }
        let tail = distribution[max(0, observed)...].reduce(0, +)
        return min(1, max(0, tail))
    }

    /// `a / b` where either may be infinite: a failure over a finite median is `+infinity`, a success over an
    /// infinite median 0, two infinities 1.
    static func ratio(_ a: Double, _ b: Double) -> Double {
        if a.isInfinite && b.isInfinite { return 1 }
        if b == 0 { return a == 0 ? 1 : .infinity }
        return a / b
    }
}
