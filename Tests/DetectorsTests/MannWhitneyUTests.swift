import TestKit
import Testing
@testable import Detectors

struct MannWhitneyUTests {
    /// Oracle: U counted pair by pair in O(n·m).
    static func naiveU(_ x: [Double], _ y: [Double]) -> Double {
        var u = 0.0
        for a in x {
            for b in y {
                if a > b { u += 1 } else if a == b { u += 0.5 }
            }
        }
        return u
    }

    /// Oracle for the exact p-value: every way of choosing which pooled positions belong to `x`.
    static func enumeratedUpperTail(u: Int, n: Int, m: Int) -> Double {
        let total = n + m
        var atLeast = 0, all = 0
        for mask in 0..<(1 << total) where mask.nonzeroBitCount == n {
            // U = number of (x, y) pairs with the x above the y, positions standing for ranks.
            var count = 0, ysBelow = 0
            for position in 0..<total {
                if mask & (1 << position) != 0 { count += ysBelow } else { ysBelow += 1 }
            }
            all += 1
            if count >= u { atLeast += 1 }
        }
        return Double(atLeast) / Double(all)
    }

    @Test func uMatchesNaivePairCount() {
        for seed in UInt64(1)...300 {
            var rng = TestRandom(seed: seed)
            let n = 1 + Int(rng.next() % 30), m = 1 + Int(rng.next() % 60)
            // Coarse values and a few failures make ties on purpose.
            func draw() -> Double { rng.next() % 17 == 0 ? .infinity : (rng.uniform(0...3) * 4).rounded() / 4 }
            let x = (0..<n).map { _ in draw() }, y = (0..<m).map { _ in draw() }
            guard let test = MannWhitneyU.test(x, greaterThan: y) else {
                Issue.record("seed \(seed): no test")
                continue
            }
            #expect(test.u == Self.naiveU(x, y), "seed \(seed)")
            #expect((0...1).contains(test.pValue), "seed \(seed)")
            // The tie correction, from the pooled values' multiplicities.
            let total = Double(n + m)
            let tieTerm = Dictionary(grouping: x + y, by: { $0 }).values.reduce(0.0) { sum, run in
                let t = Double(run.count)
                return sum + t * t * t - t
            }
            let variance = Double(n * m) / 12 * ((total + 1) - tieTerm / (total * (total - 1)))
            #expect(abs(test.variance - variance) <= 1e-9 * max(1, variance), "seed \(seed): variance \(test.variance), expected \(variance)")
            #expect(test.exact == (Set(x).isDisjoint(with: y) && n * m <= MannWhitneyU.exactLimit
                                   && min(n, m) <= MannWhitneyU.exactMaximumSmallerSide), "seed \(seed)")
        }
    }

    @Test func exactTailMatchesEnumeration() {
        for n in 1...6 {
            for m in 1...7 {
                for u in 0...(n * m + 1) {
                    let got = MannWhitneyU.exactUpperTail(u: u, n: n, m: m)
                    let expected = Self.enumeratedUpperTail(u: u, n: n, m: m)
                    #expect(abs(got - expected) < 1e-12, "n \(n) m \(m) u \(u)")
                }
            }
        }
    }

    @Test func normalApproximationIsCloseToExactForMediumSamples() {
        for seed in UInt64(1)...50 {
            var rng = TestRandom(seed: seed)
            let x = (0..<10).map { _ in rng.logNormal(median: 1.2, sigma: 0.3) }
            let y = (0..<30).map { _ in rng.logNormal(median: 1.0, sigma: 0.3) }
            guard let exact = MannWhitneyU.test(x, greaterThan: y) else { continue }
            #expect(exact.exact, "seed \(seed)")
            let approximate = MannWhitneyU.upperTail(exact.z)
            #expect(abs(approximate - exact.pValue) < 0.02, "seed \(seed): \(approximate) vs \(exact.pValue)")
        }
    }

    @Test func failuresOnlyAgainstSuccessesIsSignificant() throws {
        let test = try #require(MannWhitneyU.test([.infinity, .infinity, .infinity],
                                                  greaterThan: (1...60).map { Double($0) }))
        #expect(test.exact)
        #expect(abs(test.pValue - 1 / 39_711) < 1e-12)  // 1 / C(63, 3)
    }

    @Test func allTiedGivesNoEvidence() throws {
        let test = try #require(MannWhitneyU.test([1, 1, 1], greaterThan: [1, 1]))
        #expect(test.pValue == 1)
        #expect(MannWhitneyU.test([], greaterThan: [1]) == nil)
    }
}
