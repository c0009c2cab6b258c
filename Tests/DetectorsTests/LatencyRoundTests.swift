import Detectors
import TestKit
import Testing

/// Rounds found from runs of consecutive samples against a plain grouping of every sample by time and source.
struct LatencyRoundTests {
    /// Rounds by the definition: samples grouped by request time and source (in time order, sources by their code),
    /// at least two of them, each server once, no NaN.
    private static func oracle(_ samples: [LatencySample], include: (LatencySample) -> Bool) -> [LatencyRound] {
        func code(_ source: LatencySample.Source) -> Int {
            switch source {
            case .probe: 0
            case .push: 1
            case .scrape: 2
            }
        }
        var groups: [[Int]] = []
        var groupOf: [String: Int] = [:]
        for (offset, sample) in samples.enumerated() where include(sample) && !sample.atSeconds.isNaN {
            let key = "\(sample.atSeconds)/\(code(sample.source))"
            if let index = groupOf[key] { groups[index].append(offset) } else { groupOf[key] = groups.count; groups.append([offset]) }
        }
        groups.sort { a, b in (samples[a[0]].atSeconds, code(samples[a[0]].source)) < (samples[b[0]].atSeconds, code(samples[b[0]].source)) }
        return groups.compactMap { group in
            guard group.count >= 2 else { return nil }
            var seconds: [String: Double] = [:]
            for offset in group {
                let value = samples[offset].taskSeconds ?? .infinity
                if seconds.updateValue(value, forKey: samples[offset].server) != nil || value.isNaN { return nil }
            }
            return LatencyRound(atSeconds: samples[group[0]].atSeconds, secondsByServer: seconds)
        }
    }

    /// Random windows: push batches (long runs), probe rounds interleaved with them, scrapes, a server twice in a
    /// round, failures, NaN latencies and times, and a filter that cuts runs apart.
    @Test(arguments: 0..<20) func runsFindTheSameRoundsAsGroupingEverySample(seed: UInt64) {
        var random = TestRandom(seed: seed)
        let sources: [LatencySample.Source] = [.probe, .push, .scrape]
        var samples: [LatencySample] = []
        while samples.count < 600 {
            let at = Double(random.next(below: 12)) + (random.next(below: 10) == 0 ? .nan : 0)
            let source = sources[Int(random.next(below: 3))]
            for _ in 0..<(1 + Int(random.next(below: 8))) {
                let seconds = random.next(below: 20) == 0 ? Double.nan : Double(random.next(below: 100)) / 10
                samples.append(LatencySample(group: random.next(below: 6) == 0 ? "other" : "g", server: "s\(random.next(below: 9))",
                                             source: source, seconds: seconds,
                                             outcome: random.next(below: 8) == 0 ? .timeout : .success, atSeconds: at))
            }
        }
        let include: (LatencySample) -> Bool = { $0.group == "g" }
        let found = LatencyRound.rounds(of: samples, where: include)
        #expect(found == Self.oracle(samples, include: include))
        #expect(LatencyRound.rounds(of: samples) == Self.oracle(samples, include: { _ in true }))
    }

    /// A batch pushed in one round is one run: one round with every server.
    @Test func aPushBatchIsOneRound() {
        let samples = (0..<1000).map {
            LatencySample(group: "g", server: "s\($0)", source: .push, seconds: Double($0), outcome: .success, atSeconds: 7)
        }
        let rounds = LatencyRound.rounds(of: samples)
        #expect(rounds.count == 1 && rounds.first?.secondsByServer.count == 1000 && rounds.first?.secondsByServer["s999"] == 999)
    }
}

private extension TestRandom {
    mutating func next(below bound: UInt64) -> UInt64 { UInt64.random(in: 0..<bound, using: &self) }
}
