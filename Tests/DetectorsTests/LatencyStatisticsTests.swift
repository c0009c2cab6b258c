import TestKit
import Testing
@testable import Detectors

struct LatencyStatisticsTests {
    /// Oracle: type-7 quantile written the textbook way, from a sorted copy.
    static func naiveQuantile(_ q: Double, _ values: [Double]) -> Double? {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        let h = Double(sorted.count - 1) * q
        let low = Int(h.rounded(.down)), high = min(sorted.count - 1, low + 1)
        if h == Double(low) { return sorted[low] }
        if sorted[low] == .infinity || sorted[high] == .infinity { return .infinity }
        return sorted[low] + (h - Double(low)) * (sorted[high] - sorted[low])
    }

    @Test func quantilesMatchNaiveSortedVersion() {
        for seed in UInt64(1)...300 {
            var rng = TestRandom(seed: seed)
            let count = Int(rng.next() % 40)
            let failures = Int(rng.next() % 4)
            // Rounded values give ties, which the interpolation must survive.
            let values = (0..<count).map { _ in (rng.uniform(0...5) * 10).rounded() / 10 }
            let stats = LatencyStatistics(latenciesSeconds: values, failures: failures)
            let all = values + Array(repeating: Double.infinity, count: failures)
            for (q, got) in [(0.5, stats.median), (0.9, stats.p90), (0.99, stats.p99)] {
                let expected = Self.naiveQuantile(q, all)
                if let expected, let got, expected.isFinite {
                    #expect(abs(got - expected) <= 1e-12 * max(1, abs(expected)), "seed \(seed) q \(q)")
                } else {
                    #expect(got == expected, "seed \(seed) q \(q)")
                }
            }
            #expect(stats.count == count && stats.failures == failures, "seed \(seed)")
        }
    }

    @Test(arguments: [
        ([1.0, 2, 3, 4], 2.5),
        ([5.0], 5.0),
        ([3.0, 1, 2], 2.0),
    ])
    func medianOfSmallSets(values: [Double], expected: Double) {
        #expect(LatencyStatistics(latenciesSeconds: values).median == expected)
    }

    @Test func failuresRankWorseThanAnySuccess() {
        let mostlyFailed = LatencyStatistics(latenciesSeconds: [0.1, 0.2], failures: 3)
        #expect(mostlyFailed.median == .infinity)
        #expect(mostlyFailed.mean == 0.15000000000000002 || mostlyFailed.mean == 0.15)
        let onlyFailed = LatencyStatistics(latenciesSeconds: [], failures: 2)
        #expect(onlyFailed.median == .infinity && onlyFailed.mean == nil && onlyFailed.count == 0)
        let fewFailed = LatencyStatistics(latenciesSeconds: [1, 2, 3, 4, 5, 6, 7, 8, 9], failures: 1)
        #expect(fewFailed.median == 5.5)
        #expect(fewFailed.p99 == .infinity)
    }

    @Test func emptyWindowHasNoQuantiles() {
        let stats = LatencyStatistics(latenciesSeconds: [])
        #expect(stats.median == nil && stats.p90 == nil && stats.mean == nil)
    }
}
