import Foundation
import Testing
@testable import Detectors

struct ServerBaselineTests {
    @Test func keepsTheMedianOfTheLastCalmMedians() {
        var baseline = ServerBaseline(capacity: 5)
        for median in [1.0, 1.1, 0.9, 50, 1.0, 1.05, 0.95] { baseline.learn(medianSeconds: median) }
        #expect(baseline.windows == 5)
        #expect(baseline.medianSeconds == 1.0)  // the 50 s outlier does not move it
        #expect(baseline.slowdownRatio(medianSeconds: 1.5, minimumWindows: 5) == 1.5)
        #expect(baseline.slowdownRatio(medianSeconds: 1.5, minimumWindows: 6) == nil)
    }

    @Test func ignoresValuesThatAreNotLatencies() {
        var baseline = ServerBaseline()
        baseline.learn(medianSeconds: .infinity)
        baseline.learn(medianSeconds: 0)
        baseline.learn(medianSeconds: .nan)
        #expect(baseline.windows == 0 && baseline.medianSeconds == nil)
    }

    @Test func roundTripsThroughJSON() throws {
        var baseline = ServerBaseline(capacity: 3)
        baseline.learn(medianSeconds: 0.25)
        let decoded = try JSONDecoder().decode(ServerBaseline.self, from: JSONEncoder().encode(baseline))
        #expect(decoded == baseline)
    }
}
