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
    /// A window of a group pushed at 5,000 samples a second holds 150,000 samples: they are found by sorting a
    /// 24-byte key per sample, not by copying the samples into a dictionary of arrays (which held two copies of the
    /// window, 104 bytes a sample each, in small heap blocks that stayed resident after the window was built).
    ///
    /// - Parameter include: which samples take part (the window's own group and servers).
    /// - Returns: rounds in time order.
    public static func rounds<Samples: RandomAccessCollection<LatencySample>>(
        of samples: Samples, where include: (LatencySample) -> Bool = { _ in true }
    ) -> [LatencyRound] {
        var keys: [Key] = []
        for (offset, sample) in samples.enumerated() where include(sample) {
            keys.append(Key(at: sample.atSeconds, source: Self.code(sample.source), offset: offset))
        }
        keys.sort()
        var rounds: [LatencyRound] = []
        var start = 0
        while start < keys.count {
            var end = start + 1
            while end < keys.count && keys[end].sameRound(as: keys[start]) { end += 1 }
            defer { start = end }
            guard end - start >= 2 else { continue }
            var seconds: [String: Double] = [:]
            var usable = true
            for key in keys[start..<end] {
                let sample = samples[samples.index(samples.startIndex, offsetBy: key.offset)]
                let value = sample.taskSeconds ?? .infinity
                if seconds.updateValue(value, forKey: sample.server) != nil || value.isNaN { usable = false; break }
            }
            if usable { rounds.append(LatencyRound(atSeconds: keys[start].at, secondsByServer: seconds)) }
        }
        return rounds
    }

    /// Rounds of the same moment from different sources are ordered by the sources' raw values.
    private static func code(_ source: LatencySample.Source) -> UInt8 {
        switch source {
        case .probe: 0
        case .push: 1
        case .scrape: 2
        }
    }

    /// A sample's place in the sort that brings each round's samples together.
    private struct Key: Comparable {
        var at: Double
        var source: UInt8
        var offset: Int
        static func < (a: Key, b: Key) -> Bool { (a.at, a.source, a.offset) < (b.at, b.source, b.offset) }
        func sameRound(as other: Key) -> Bool { self.at == other.at && self.source == other.source }
    }
}
