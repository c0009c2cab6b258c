import TestKit
import Testing
@testable import Detectors

struct AlignedRankTestTests {
    typealias Round = (server: Double, peers: [Double])

    /// Oracle for the exact p-value: every assignment of the server to one of each round's positions, each as
    /// likely, with the ranks of the values it leaves (the permutation distribution, enumerated).
    static func enumeratedPValue(_ rounds: [Round]) -> Double {
        let observed = AlignedRankTest.test(rounds)!
        var atLeast = 0, all = 0
        let sizes = rounds.map { $0.peers.count + 1 }
        var choice = [Int](repeating: 0, count: rounds.count)
        // The statistic of a permuted sample: the test's own deviation, recomputed with the server swapped.
        while true {
            let permuted = rounds.indices.map { r -> Round in
                let values = [rounds[r].server] + rounds[r].peers
                var peers = values
                let server = peers.remove(at: choice[r])
                return (server, peers)
            }
            let test = AlignedRankTest.test(permuted)!
            all += 1
            if test.deviation >= observed.deviation - 1e-12 { atLeast += 1 }
            var r = 0
            while r < choice.count {
                choice[r] += 1
                if choice[r] < sizes[r] { break }
                choice[r] = 0
                r += 1
            }
            if r == choice.count { break }
        }
        return Double(atLeast) / Double(all)
    }

    @Test func exactPValueMatchesThePermutationDistribution() {
        for seed in UInt64(1)...60 {
            var rng = TestRandom(seed: seed)
            let count = 1 + Int(rng.next() % 5)
            // Coarse values and failures make ties on purpose.
            func draw() -> Double { rng.next() % 13 == 0 ? .infinity : (rng.uniform(0.5...3) * 2).rounded() / 2 }
            let rounds: [Round] = (0..<count).map { _ in
                let peers = (0..<(1 + Int(rng.next() % 3))).map { _ in draw() }
                return (draw(), peers)
            }
            guard let test = AlignedRankTest.test(rounds) else {
                Issue.record("seed \(seed): no test")
                continue
            }
            #expect(test.exact, "seed \(seed)")
            let expected = Self.enumeratedPValue(rounds)
            #expect(abs(test.pValue - expected) < 1e-9, "seed \(seed): \(test.pValue) vs enumerated \(expected) for \(rounds)")
        }
    }

    @Test func sixRoundsOnTopOfFourServersAreAsStrongAsSixRoundsCanBe() {
        let rounds: [Round] = (0..<6).map { i in (4.0 + Double(i), [1.0, 1.5, 2.0].map { $0 + Double(i) }) }
        let test = AlignedRankTest.test(rounds)!
        #expect(test.exact && test.rounds == 6)
        // Uniform over each round's four ranks: the top one in all six rounds has probability 4^-6.
        let top = 1.0 / 4096
        #expect(test.pValue >= top && test.pValue < 0.002, "\(test.pValue)")
        #expect(test.peerRatio > 1.5)
    }

    /// The host's load changes tenfold from round to round: pooled samples hide a server 1.4 times slower than its
    /// peers in every round, the rounds show it.
    @Test func roundsRemoveWhatSlowsEveryServerAtOnce() {
        var strong = 0
        for seed in UInt64(1)...20 {
            var rng = TestRandom(seed: seed)
            var rounds: [Round] = []
            var server: [Double] = [], peers: [Double] = []
            for _ in 0..<8 {
                let load = rng.logNormal(median: 2, sigma: 1)
                let values = (0..<4).map { i in load * (i == 0 ? 1.4 : 1) * rng.logNormal(median: 1, sigma: 0.1) }
                rounds.append((values[0], Array(values.dropFirst())))
                server.append(values[0])
                peers += values.dropFirst()
            }
            let paired = AlignedRankTest.test(rounds)!
            let pooled = MannWhitneyU.test(server, greaterThan: peers)!
            #expect(paired.pValue < pooled.pValue, "seed \(seed): rounds \(paired.pValue), pooled \(pooled.pValue)")
            #expect(paired.peerRatio > 1.2 && paired.peerRatio < 1.7, "seed \(seed): \(paired.peerRatio)")
            if paired.pValue < 0.001 { strong += 1 }
        }
        #expect(strong >= 15, "\(strong) of 20 seeds below 0.001")
    }

    @Test func failuresRankAboveEverySuccess() {
        let rounds: [Round] = (0..<5).map { _ in (.infinity, [1, 2, 3]) }
        let test = AlignedRankTest.test(rounds)!
        #expect(test.peerRatio == .infinity)
        #expect(test.pValue < 0.001)
        // A round where everyone failed is a tie and says nothing.
        let allFailed = AlignedRankTest.test([(.infinity, [.infinity, .infinity])])!
        #expect(allFailed.pValue == 1 && allFailed.deviation == 0)
    }

    @Test func normalApproximationIsCloseToExactForManyRounds() {
        var rng = TestRandom(seed: 11)
        let rounds: [Round] = (0..<60).map { _ in
            (rng.logNormal(median: 1.1, sigma: 0.3), (0..<3).map { _ in rng.logNormal(median: 1, sigma: 0.3) })
        }
        let exact = AlignedRankTest.test(Array(rounds.prefix(30)))!
        #expect(exact.exact)
        let z = exact.deviation / exact.variance.squareRoot()
        #expect(abs(MannWhitneyU.upperTail(z) - exact.pValue) < 0.02, "\(exact.pValue) vs normal \(MannWhitneyU.upperTail(z))")
        let large = AlignedRankTest.test(rounds + rounds + rounds + rounds)!
        #expect(!large.exact && (0...1).contains(large.pValue))
    }

    /// Dividing the server's latencies by the true factor leaves no evidence: the scale asks "slower by more?".
    @Test func scaleTakesTheGivenSlownessOut() {
        var rng = TestRandom(seed: 5)
        let rounds: [Round] = (0..<25).map { _ in
            let load = rng.logNormal(median: 1, sigma: 0.5)
            return (load * 1.5 * rng.logNormal(median: 1, sigma: 0.2), (0..<3).map { _ in load * rng.logNormal(median: 1, sigma: 0.2) })
        }
        let plain = AlignedRankTest.test(rounds)!, scaled = AlignedRankTest.test(rounds, scale: 1.5)!
        #expect(plain.pValue < 1e-6)
        #expect(scaled.pValue > 0.01 && scaled.deviation < plain.deviation, "\(scaled.pValue)")
        #expect(scaled.peerRatio == plain.peerRatio)  // the ratio reports what was measured
    }

    @Test func noRoundWithAPeerGivesNoTest() {
        #expect(AlignedRankTest.test([]) == nil)
        #expect(AlignedRankTest.test([(1, [])]) == nil)
    }
}
