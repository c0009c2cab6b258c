import TestKit
import Testing
@testable import Detectors

struct RankCorrelationTests {
    @Test func monotoneSeriesCorrelatePerfectly() {
        let x = [1.0, 2, 3, 4, 5, 6]
        #expect(RankCorrelation.spearman(x, x.map { $0 * $0 }) == 1)
        #expect(RankCorrelation.spearman(x, x.map { -$0 }) == -1)
    }

    @Test func midRanksShareTies() {
        #expect(RankCorrelation.midRanks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
    }

    @Test func undefinedCorrelationIsNil() {
        #expect(RankCorrelation.spearman([1, 1, 1, 1], [1, 2, 3, 4]) == nil)
        #expect(RankCorrelation.spearman([1, 2], [1, 2], minimumPairs: 3) == nil)
    }

    @Test func staysInRangeOnGeneratedData() {
        for seed in UInt64(1)...200 {
            var rng = TestRandom(seed: seed)
            let n = 3 + Int(rng.next() % 20)
            let x = (0..<n).map { _ in (rng.uniform(0...4)).rounded() }
            let y = (0..<n).map { _ in rng.uniform(0...1) }
            if let rho = RankCorrelation.spearman(x, y) { #expect((-1...1).contains(rho), "seed \(seed)") }
        }
    }
}
