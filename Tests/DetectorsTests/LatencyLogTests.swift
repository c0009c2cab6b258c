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

        mutating func dropArrivals(after seconds: Double) {
            for group in Array(self.byGroup.keys) {
                let kept = self.byGroup[group]!.filter { $0.arrivalSeconds <= seconds }
                self.byGroup[group] = kept.isEmpty ? nil : kept
            }
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

    /// Times shared the way pushes and probe rounds share them (one `at` and one arrival per batch, runs that the log
    /// keeps once), `Server-Timing` values that start only part way through, and cuts of the newest samples (a clock
    /// stepped back): still exactly what the model keeps, bit for bit (`-0.0` and a NaN `at` included).
    @Test func keepsWhatTheModelKeepsWithSharedTimesAndCuts() {
        let groups = ["a", "b"], servers = ["s1", "s2", "s3", "s4"]
        for seed in UInt64(1)...30 {
            var random = TestRandom(seed: seed)
            let retention = [2.0, 20, .infinity][Int(random.next() % 3)]
            let cap = [3, 50, 4000, 100_000][Int(random.next() % 4)]
            var log = LatencyLog(retentionSeconds: retention, maxSamplesPerGroup: cap)
            var model = Model(retentionSeconds: retention, maxSamples: cap)
            var clock = 1000.0
            let timingFrom = Int(random.next() % 4000)
            for step in 0..<5000 {
                clock += random.next() % 3 == 0 ? 0 : random.unit() * 0.1  // some batches share the previous stamp
                let at: Double = switch random.next() % 50 {
                case 0: -0.0
                case 1: .nan
                default: random.next() % 4 == 0 ? clock - 0.5 : clock
                }
                let group = groups[Int(random.next() % 2)]
                let batch = (0..<Int(1 + random.next() % 8)).map { index in
                    LatencySample(group: group, server: servers[index % servers.count], source: .push, seconds: random.unit(),
                                  serverSeconds: step >= timingFrom && group == "a" && random.next() % 3 != 0 ? random.unit() : nil,
                                  outcome: random.next() % 40 == 0 ? .error("e\(step)") : .success,
                                  atSeconds: at, recordedAtSeconds: at.isNaN || random.next() % 7 != 0 ? clock : nil)
                }
                log.append(contentsOf: batch)
                for sample in batch { model.append(sample) }
                if step % 700 == 699 {
                    log.dropArrivals(after: clock - 1)
                    model.dropArrivals(after: clock - 1)
                }
                if step % 250 == 0 || step % 700 == 699 || step == 4999 {
                    for group in groups {
                        let from = clock - 3 * random.unit(), to = clock + 1
                        Self.expectSame(log.samples(group: group, from: from, to: to), model.samples(group: group, from: from, to: to),
                                        "seed \(seed) step \(step) group \(group)")
                        Self.expectSame(log.samples(group: group, from: -.infinity, to: .infinity), model.byGroup[group] ?? [],
                                        "seed \(seed) step \(step) group \(group) (all)")
                    }
                }
            }
        }
    }

    /// Equal samples, with the times compared by bit pattern (NaN is not equal to itself, and `-0.0 == 0`).
    static func expectSame(_ a: [LatencySample], _ b: [LatencySample], _ context: String) {
        let bits = { (samples: [LatencySample]) in
            samples.map { [$0.atSeconds.bitPattern, $0.recordedAtSeconds?.bitPattern ?? 1, $0.seconds.bitPattern,
                            $0.serverSeconds?.bitPattern ?? 1] }
        }
        let text = { (samples: [LatencySample]) in samples.map { "\($0.server) \($0.outcome) \($0.source)" } }
        #expect(a.count == b.count && bits(a) == bits(b) && text(a) == text(b), "\(context): \(a.count) against \(b.count)")
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
