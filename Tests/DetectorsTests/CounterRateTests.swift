import Detectors
import Testing

struct CounterRateTests {
    @Test func rateOverInterval() {
        #expect(counterRate(previous: 100, current: 400, elapsedSeconds: 3) == 100)
        #expect(counterDelta(previous: 5, current: 9) == 4)
    }

    @Test func resetsAndGapsGiveNilNeverNegative() {
        #expect(counterRate(previous: 400, current: 100, elapsedSeconds: 3) == nil)
        #expect(counterRate(previous: nil, current: 100, elapsedSeconds: 3) == nil)
        #expect(counterRate(previous: 1, current: 2, elapsedSeconds: 0) == nil)
        #expect(counterDelta(previous: 9, current: 5) == nil)
    }
}
