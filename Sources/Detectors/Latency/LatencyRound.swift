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
        // Reserved at the window's size: growing by doubling held the old and the new buffer at once (5.4 MB for
        // 150,000 samples, measured under load), where one buffer of 16-byte keys is 2.4 MB.
        var keys: [Key] = []
        keys.reserveCapacity(samples.count)
        for (offset, sample) in samples.enumerated() where include(sample) {
            keys.append(Key(at: sample.atSeconds, source: Self.code(sample.source), offset: UInt32(offset)))
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
                let sample = samples[samples.index(samples.startIndex, offsetBy: Int(key.offset))]
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

    /// A sample's place in the sort that brings each round's samples together; 16 bytes. An offset fits in 32 bits: a
    /// window of 2^32 samples would take 64 GB even as the log keeps them.
    private struct Key: Comparable {
        var at: Double
        var offset: UInt32
        var source: UInt8
        static func < (a: Key, b: Key) -> Bool { (a.at, a.source, a.offset) < (b.at, b.source, b.offset) }
        init(at: Double, source: UInt8, offset: UInt32) {
            self.at = at
            self.offset = offset
            self.source = source
        }
        func sameRound(as other: Key) -> Bool { self.at == other.at && self.source == other.source }
    }
}
