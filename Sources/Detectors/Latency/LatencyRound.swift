/// One round of simultaneous requests to the servers of a group: a probe round, or one pushed batch without an
/// `at` per sample. Every server in it met the same moment of the host, so comparing a server with its peers
/// inside the round removes whatever slowed the whole host at that moment (a load step, a swap storm).
public struct LatencyRound: Sendable, Equatable, Codable {
    /// The request time the round's samples share (``LatencySample/atSeconds``).
    public var atSeconds: Double
    /// Server name to its latency in seconds; `+infinity` for a request that failed.
    public var secondsByServer: [String: Double]

    public init(atSeconds: Double, secondsByServer: [String: Double]) {
        self.atSeconds = atSeconds
        self.secondsByServer = secondsByServer
    }

    /// The rounds among a group's samples: samples that share their request time and source, one per server, from
    /// at least two servers. Anything else (a histogram scrape's many values, a server pushed alone) is no round.
    ///
    /// - Returns: rounds in time order.
    public static func rounds(of samples: [LatencySample]) -> [LatencyRound] {
        struct Key: Hashable { var at: Double; var source: LatencySample.Source }
        var byKey: [Key: [LatencySample]] = [:]
        for sample in samples { byKey[Key(at: sample.atSeconds, source: sample.source), default: []].append(sample) }
        var rounds: [LatencyRound] = []
        for key in byKey.keys.sorted(by: { ($0.at, $0.source.rawValue) < ($1.at, $1.source.rawValue) }) {
            let members = byKey[key]!
            var seconds: [String: Double] = [:]
            var duplicated = false
            for sample in members {
                if seconds[sample.server] != nil { duplicated = true }
                seconds[sample.server] = sample.taskSeconds ?? .infinity
            }
            guard !duplicated, seconds.count >= 2, seconds.values.allSatisfy({ !$0.isNaN }) else { continue }
            rounds.append(LatencyRound(atSeconds: key.at, secondsByServer: seconds))
        }
        return rounds
    }
}
