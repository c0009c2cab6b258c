import TestKit
import Testing

@testable import Detectors

/// ``ValueRuns`` against a plain array of every value: lookups, cuts at either end and slices renumbered from 0.
struct ValueRunsTests {
    @Test func readsBackEveryValueThroughCutsAndSlices() {
        var random = TestRandom(seed: 5)
        var runs = ValueRuns()
        var model: [(sequence: Int, value: Double)] = []
        var sequence = 0
        var value = 1.0
        var first = 0  // the earliest sequence still asked for
        for step in 0..<20_000 {
            if random.next() % 5 == 0 { value = [-0.0, 0.0, .nan, random.unit()][Int(random.next() % 4)] }
            sequence += 1 + Int(random.next() % 3)  // not every sequence has a value (a sample without that time)
            runs.append(value, at: sequence)
            model.append((sequence, value))
            if step % 97 == 0 {
                first = model[model.count / 3].sequence
                runs.drop(before: first)
                model.removeFirst(model.count / 3)
            }
            if step % 389 == 0, model.count > 2 {
                let cut = model[model.count - 2].sequence
                runs.drop(from: cut)
                model.removeLast(2)
                sequence = cut  // the next value comes after the cut, as a log's next sample does
            }
        }
        #expect(model.allSatisfy { runs.value(at: $0.sequence).bitPattern == $0.value.bitPattern })
        #expect(runs.runCount < model.count / 3, "\(runs.runCount) runs for \(model.count) values")
        let lower = model[10].sequence, upper = model[model.count - 10].sequence
        let slice = runs.slice(from: lower, to: upper)
        #expect(model.filter { $0.sequence >= lower && $0.sequence < upper }
            .allSatisfy { slice.value(at: $0.sequence - lower).bitPattern == $0.value.bitPattern })
    }

    @Test func anEmptySliceAndOneValue() {
        var runs = ValueRuns()
        runs.append(7, at: 3)
        #expect(runs.value(at: 3) == 7 && runs.value(at: 1000) == 7)
        #expect(runs.slice(from: 0, to: 3).runCount == 0)
        #expect(runs.slice(from: 2, to: 4).value(at: 1) == 7)
        runs.drop(from: 3)
        #expect(runs.runCount == 0)
    }
}
