/// Times that repeat along a sequence of samples, kept once per run of equal values: a push batch's samples share
/// their arrival stamp and usually their `at`, and a probe round's servers share theirs. ``LatencyLog`` keeps each
/// sample's times here instead of 16 bytes in every sample.
///
/// Values compare by bit pattern, so what is read back is exactly what was appended (`-0.0`, NaN included).
struct ValueRuns: Sendable, Equatable {
    /// The first sequence number of each run, increasing, and its value.
    private var starts: [Int] = []
    private var values: [Double] = []

    init() {}

    private init(starts: [Int], values: [Double]) {
        self.starts = starts
        self.values = values
    }

    var runCount: Int { self.starts.count }

    /// Records `value` for `sequence`, which must be later than every sequence appended before.
    mutating func append(_ value: Double, at sequence: Int) {
        if let last = self.values.last, last.bitPattern == value.bitPattern { return }
        self.starts.append(sequence)
        self.values.append(value)
    }

    /// The value appended for `sequence`, or for the latest sequence before it that had one. `sequence` must be at
    /// or after the first run still held.
    func value(at sequence: Int) -> Double {
        self.values[self.run(containing: sequence)]
    }

    /// Forgets the runs that end before `sequence`.
    mutating func drop(before sequence: Int) {
        let run = self.run(containing: sequence)
        guard run > 0 else { return }
        self.starts.removeFirst(run)
        self.values.removeFirst(run)
    }

    /// Forgets the values of `sequence` and everything after it.
    mutating func drop(from sequence: Int) {
        let first = self.firstRun(startingAtOrAfter: sequence)
        self.starts.removeSubrange(first...)
        self.values.removeSubrange(first...)
    }

    /// The runs covering `lower..<upper`, renumbered so that `lower` is 0.
    func slice(from lower: Int, to upper: Int) -> ValueRuns {
        let first = max(0, self.run(containing: lower))
        let end = self.firstRun(startingAtOrAfter: upper)
        guard first < end else { return ValueRuns() }
        return ValueRuns(starts: self.starts[first..<end].map { max(0, $0 - lower) }, values: Array(self.values[first..<end]))
    }

    /// The index of the last run starting at or before `sequence`; -1 when every run starts after it.
    private func run(containing sequence: Int) -> Int {
        self.firstRun(startingAtOrAfter: sequence + 1) - 1
    }

    private func firstRun(startingAtOrAfter sequence: Int) -> Int {
        var low = 0, high = self.starts.count
        while low < high {
            let mid = (low + high) / 2
            if self.starts[mid] < sequence { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
