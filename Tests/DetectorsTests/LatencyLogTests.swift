import TestKit
import Testing

@testable import Detectors

/// ``LatencyLog`` against the plain model it replaced (one array per group, the oldest removed from the front), on
/// seeded generated streams: several groups, a clock stepping back, errors, server times, the cap and retention.
struct LatencyLogTests {
    /// The model: exactly the previous implementation.
    struct Model {
        let retentionSeconds: Double
        let maxSamples: Int
        var byGroup: [String: [LatencySample]] = [:]

        mutating func append(_ sample: LatencySample) {
            var sample = sample
            var list = self.byGroup[sample.group] ?? []
            if let last = list.last, last.arrivalSeconds > sample.arrivalSeconds { sample.recordedAtSeconds = last.arrivalSeconds }
            list.append(sample)
            let newest = sample.arrivalSeconds
            if list.count > self.maxSamples || list[0].arrivalSeconds < newest - self.retentionSeconds {
                var drop = list.firstIndex { $0.arrivalSeconds >= newest - self.retentionSeconds } ?? list.count
                drop = max(drop, list.count - self.maxSamples)
                if drop > 0 { list.removeFirst(drop) }
            }
            self.byGroup[sample.group] = list
        }

        func samples(group: String, from: Double, to: Double) -> [LatencySample] {
            (self.byGroup[group] ?? []).filter { $0.arrivalSeconds >= from && $0.arrivalSeconds < to }
        }
    }

    @Test func keepsWhatTheModelKeeps() {
        let groups = ["a", "b", "c"], servers = ["s1", "s2", "s3"]
        let sources = LatencySample.Source.allCases
        for seed in UInt64(1)...40 {
            var random = TestRandom(seed: seed)
            let retention = [5.0, 30, 3600][Int(random.next() % 3)]
            let cap = [1, 7, 100, 5000][Int(random.next() % 4)]
            var log = LatencyLog(retentionSeconds: retention, maxSamplesPerGroup: cap)
            var model = Model(retentionSeconds: retention, maxSamples: cap)
            var clock = 1000.0
            for step in 0..<6000 {
                // Mostly forward, sometimes back (a stepped wall clock), sometimes a jump past the retention.
                switch random.next() % 100 {
                case 0: clock -= 3
                case 1: clock += 100
                default: clock += random.unit() * 0.05
                }
                let outcome: LatencySample.Outcome = switch random.next() % 20 {
                case 0: .timeout
                case 1: .error("status \(500 + random.next() % 4)")
                default: .success
                }
                var batch: [LatencySample] = []
                for _ in 0..<Int(1 + random.next() % 4) {
                    batch.append(LatencySample(
                        group: groups[Int(random.next() % 3)], server: servers[Int(random.next() % 3)],
                        source: sources[Int(random.next() % UInt64(sources.count))], seconds: random.unit(),
                        serverSeconds: random.next() % 2 == 0 ? random.unit() : nil, outcome: outcome,
                        atSeconds: clock - random.unit(), recordedAtSeconds: random.next() % 10 == 0 ? nil : clock))
                }
                if step % 2 == 0 {
                    log.append(contentsOf: batch)
                } else {
                    for sample in batch { log.append(sample) }
                }
                for sample in batch { model.append(sample) }
                if step % 500 == 0 || step == 5999 {
                    for group in groups {
                        let from = clock - retention * random.unit() * 1.5, to = clock + 1
                        #expect(log.samples(group: group, from: from, to: to) == model.samples(group: group, from: from, to: to),
                                "seed \(seed) step \(step) group \(group)")
                        #expect(log.samples(group: group, from: -.infinity, to: .infinity) == (model.byGroup[group] ?? []),
                                "seed \(seed) step \(step) group \(group)")
                    }
                }
            }
        }
    }

    @Test func appendingAtTheCapDoesNotGrowTheLog() {
        var log = LatencyLog(retentionSeconds: .infinity, maxSamplesPerGroup: 10_000)
        for index in 0..<100_000 {
            log.append(LatencySample(group: "g", server: "s", source: .push, seconds: 0.1, atSeconds: Double(index),
                                     recordedAtSeconds: Double(index)))
        }
        #expect(log.count == 10_000)
        #expect(log.samples(group: "g", from: 0, to: .infinity).first?.atSeconds == 90_000)
    }
}
