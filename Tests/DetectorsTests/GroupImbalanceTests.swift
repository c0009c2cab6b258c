import TestKit
import Testing
@testable import Detectors

struct GroupImbalanceTests {
    @Test func jainIndexStaysBetweenOneOverNAndOne() {
        for seed in UInt64(1)...500 {
            var rng = TestRandom(seed: seed)
            let n = 2 + Int(rng.next() % 8)
            let medians = (0..<n).map { _ in rng.next() % 5 == 0 ? rng.uniform(0...0.01) : rng.uniform(0...10) }
            guard let imbalance = GroupImbalance(medians: medians) else { continue }
            let lower = 1 / Double(n)
            #expect(imbalance.fairnessIndex >= lower && imbalance.fairnessIndex <= 1, "seed \(seed) \(medians)")
            #expect(imbalance.maxMinRatio >= 1 && imbalance.coefficientOfVariation >= 0, "seed \(seed)")
        }
    }

    @Test func equalMediansAreFair() throws {
        let imbalance = try #require(GroupImbalance(medians: [0.3, 0.3, 0.3, 0.3]))
        #expect(imbalance.fairnessIndex == 1 && imbalance.maxMinRatio == 1 && imbalance.coefficientOfVariation == 0)
    }

    @Test func infiniteMedianTakesTheLimit() throws {
        let imbalance = try #require(GroupImbalance(medians: [1, 1, 1, .infinity]))
        #expect(imbalance.maxMinRatio == .infinity)
        #expect(imbalance.fairnessIndex == 0.25)
        #expect(abs(imbalance.coefficientOfVariation - 3.0.squareRoot()) < 1e-12)
        // The limit agrees with a very large finite median.
        let large = try #require(GroupImbalance(medians: [1, 1, 1, 1e12]))
        #expect(abs(large.fairnessIndex - 0.25) < 1e-9)
    }

    @Test func tooFewMediansGiveNothing() {
        #expect(GroupImbalance(medians: [1]) == nil)
        #expect(GroupImbalance(medians: [0, 0]) == nil)
    }
}
