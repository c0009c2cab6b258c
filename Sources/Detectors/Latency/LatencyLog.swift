/// Latency samples per group in arrival order, bounded: the one place detection windows take their samples from,
/// live (the daemon's recorder) and in replay (stored history), so both select exactly the same samples.
///
/// Samples are kept sorted by ``LatencySample/arrivalSeconds``; ``append(_:)`` clamps a sample that arrives with an
/// earlier stamp than the last one (a wall clock stepped back) to that one, so the order and the window a sample
/// falls in never depend on the clock going backwards.
public struct LatencyLog: Sendable, Equatable {
    /// How far back, from the newest arrival of a group, samples are kept.
    public let retentionSeconds: Double
    /// A hard cap per group whatever the retention, against a flood of pushes.
    public let maxSamplesPerGroup: Int
    private var byGroup: [String: [LatencySample]] = [:]
    /// The latest arrival stamp ``stamp(nowSeconds:)`` handed out.
    private var lastStampSeconds = -Double.infinity

    public init(retentionSeconds: Double = 3600, maxSamplesPerGroup: Int = 200_000) {
        self.retentionSeconds = retentionSeconds
        self.maxSamplesPerGroup = max(1, maxSamplesPerGroup)
    }

    /// A log of stored samples (any order): sorted by arrival, ties in the order given.
    public init(samples: [LatencySample], retentionSeconds: Double = .infinity, maxSamplesPerGroup: Int = .max) {
        self.init(retentionSeconds: retentionSeconds, maxSamplesPerGroup: maxSamplesPerGroup)
        let sorted = samples.enumerated().sorted { a, b in
            (a.element.arrivalSeconds, a.offset) < (b.element.arrivalSeconds, b.offset)
        }
        for (_, sample) in sorted { self.append(sample) }
    }

    /// Appends a sample stamped with its arrival (``LatencySample/recordedAtSeconds``) and drops what retention no
    /// longer covers.
    public mutating func append(_ sample: LatencySample) {
        var sample = sample
        var list = self.byGroup[sample.group] ?? []
        self.byGroup[sample.group] = nil  // unique reference: the append below does not copy the array
        if let last = list.last, last.arrivalSeconds > sample.arrivalSeconds {
            sample.recordedAtSeconds = last.arrivalSeconds
        }
        list.append(sample)
        let newest = sample.arrivalSeconds
        if list.count > self.maxSamplesPerGroup || list[0].arrivalSeconds < newest - self.retentionSeconds {
            var drop = BinarySearch.firstIndex(in: list) { $0.arrivalSeconds >= newest - self.retentionSeconds }
            drop = max(drop, list.count - self.maxSamplesPerGroup)
            if drop > 0 { list.removeFirst(drop) }
        }
        self.byGroup[sample.group] = list
    }

    /// The arrival stamp for samples recorded now (`nowSeconds`, the wall clock), for every group alike.
    ///
    /// Never earlier than the last stamp, so arrival order and stamps agree through jitter. A clock more than
    /// ``ClockStep/toleranceSeconds`` behind the last stamp was stepped back (NTP only slews, never moves back, by
    /// less): the log then starts over from the new time. Clamping instead would stamp every sample with the old time
    /// until the clock caught up, so no window would see one, and the samples it holds from "later" would count again
    /// in the windows of the repeated time; they belong to a time line the clock has left (history keeps them).
    public mutating func stamp(nowSeconds: Double) -> Double {
        if nowSeconds < self.lastStampSeconds - ClockStep.toleranceSeconds {
            for group in Array(self.byGroup.keys) {
                var list = self.byGroup[group]!
                self.byGroup[group] = nil
                list.removeAll { $0.arrivalSeconds > nowSeconds }
                self.byGroup[group] = list.isEmpty ? nil : list
            }
            self.lastStampSeconds = nowSeconds
        } else {
            self.lastStampSeconds = max(nowSeconds, self.lastStampSeconds)
        }
        return self.lastStampSeconds
    }

    /// The group's samples that arrived in `[from, to)`, in arrival order.
    public func samples(group: String, from: Double, to: Double) -> [LatencySample] {
        guard let all = self.byGroup[group], from < to else { return [] }
        let start = BinarySearch.firstIndex(in: all) { $0.arrivalSeconds >= from }
        let end = BinarySearch.firstIndex(in: all) { $0.arrivalSeconds >= to }
        return start < end ? Array(all[start..<end]) : []
    }

    /// Every retained sample of every group, each group in arrival order, groups by name.
    public var all: [LatencySample] {
        self.byGroup.keys.sorted().flatMap { self.byGroup[$0]! }
    }
}
