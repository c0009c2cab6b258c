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
    /// A window of a group pushed at 5,000 samples a second holds 150,000 samples. A round's samples mostly arrive
    /// together (a push batch, a probe round), so the window is cut into runs of consecutive samples that share their
    /// time and source, and the runs, one 16-byte key each, are sorted to bring each round's runs together: 150 keys
    /// for 150 batches, where a key per sample took 2.4 MB (and 5.4 MB while the array grew), and copying the samples
    /// into a dictionary of arrays held two copies of the window.
    ///
    /// - Parameter include: which samples take part (the window's own group and servers).
    /// - Returns: rounds in time order.
    public static func rounds<Samples: RandomAccessCollection<LatencySample>>(
        of samples: Samples, where include: (LatencySample) -> Bool = { _ in true }
    ) -> [LatencyRound] {
        var runs: [Run] = []
        var open: Run?
        for (offset, sample) in samples.enumerated() {
            // A time that is not a number equals none, so its sample is in no round (and would break the sort).
            guard include(sample), !sample.atSeconds.isNaN else {
                if let run = open { runs.append(run); open = nil }
                continue
            }
            let source = Self.code(sample.source)
            if var run = open, run.at == sample.atSeconds, run.source == source, run.count < Run.maxCount {
                run.count += 1
                open = run
            } else {
                if let run = open { runs.append(run) }
                open = Run(at: sample.atSeconds, source: source, start: UInt32(offset))
            }
        }
        if let run = open { runs.append(run) }
        runs.sort()
        var rounds: [LatencyRound] = []
        var first = 0
        while first < runs.count {
            var end = first + 1
            var members = Int(runs[first].count)
            while end < runs.count && runs[end].sameRound(as: runs[first]) {
                members += Int(runs[end].count)
                end += 1
            }
            defer { first = end }
            guard members >= 2 else { continue }
            var seconds: [String: Double] = [:]
            var usable = true
            members: for run in runs[first..<end] {
                let start = Int(run.start)
                for offset in start..<start + Int(run.count) {
                    let sample = samples[samples.index(samples.startIndex, offsetBy: offset)]
                    let value = sample.taskSeconds ?? .infinity
                    if seconds.updateValue(value, forKey: sample.server) != nil || value.isNaN { usable = false; break members }
                }
            }
            if usable { rounds.append(LatencyRound(atSeconds: runs[first].at, secondsByServer: seconds)) }
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

    /// Consecutive samples of the window that share their time and source, keyed for the sort that brings each
    /// round's runs together; 16 bytes. Offsets fit in 32 bits: a window of 2^32 samples would take 64 GB even as the
    /// log keeps them.
    private struct Run: Comparable {
        static let maxCount: UInt32 = (1 << 30) - 1
        var at: Double
        var start: UInt32
        /// The source's code in the top two bits, the run's length in the rest.
        private var countAndSource: UInt32

        init(at: Double, source: UInt8, start: UInt32) {
            self.at = at
            self.start = start
            self.countAndSource = UInt32(source) << 30 | 1
        }

        var source: UInt8 { UInt8(self.countAndSource >> 30) }
        var count: UInt32 {
            get { self.countAndSource & Self.maxCount }
            set { self.countAndSource = self.countAndSource & ~Self.maxCount | newValue }
        }

        static func < (a: Run, b: Run) -> Bool { (a.at, a.source, a.start) < (b.at, b.source, b.start) }
        func sameRound(as other: Run) -> Bool { self.at == other.at && self.source == other.source }
    }
}
