/// Latency samples per group in arrival order, bounded: the one place detection windows take their samples from,
/// live (the daemon's recorder) and in replay (stored history), so both select exactly the same samples.
///
/// Samples are kept sorted by ``LatencySample/arrivalSeconds``; ``append(_:)`` clamps a sample that arrives with an
/// earlier stamp than the last one (a wall clock stepped back) to that one, so the order and the window a sample
/// falls in never depend on the clock going backwards. Retention counts the time that passed: a wall clock stepped
/// forward (told by the boot clock given to ``stamp(nowSeconds:uptimeSeconds:)``, or by replay from the stored
/// sweeps through ``recordForwardStep(_:atSeconds:)``) does not age the samples from before it, so a detection
/// window open across the step still holds them.
///
/// Stored compactly, since a group pushed at 5,000 samples a second keeps its whole cap of them: 16 bytes a sample
/// (24 once the group has a `Server-Timing` value) instead of a 104-byte ``LatencySample``. Server names are
/// interned per group, an error's reason kept on the side, and the times (`at` and arrival) once per run of samples
/// that share them (``ValueRuns``): a push batch or a probe round. The oldest samples are dropped by moving a start
/// index, and the storage is compacted once an eighth of it is dead, so appending at the cap costs a constant amount
/// per sample instead of moving every kept sample.
public struct LatencyLog: Sendable, Equatable {
    /// How far back, from the newest arrival of a group, samples are kept.
    public let retentionSeconds: Double
    /// A hard cap per group whatever the retention, against a flood of pushes.
    public let maxSamplesPerGroup: Int
    private var byGroup: [String: GroupLog] = [:]
    /// The latest arrival stamp ``stamp(nowSeconds:uptimeSeconds:)`` handed out.
    private var lastStampSeconds = -Double.infinity
    /// The clocks as last read by ``stamp(nowSeconds:uptimeSeconds:)``, to tell a step forward from a pause.
    private var lastWallSeconds: Double?
    private var lastUptimeSeconds: Double?
    /// Steps forward that retained samples were stamped across: retention does not count them as time passed.
    public private(set) var forwardSteps = ForwardClockSteps()

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
        self.append(contentsOf: CollectionOfOne(sample))
    }

    /// Appends samples in order, as ``append(_:)`` would one by one, looking each group up once per run of it.
    public mutating func append(contentsOf samples: some Collection<LatencySample>) {
        var index = samples.startIndex
        while index != samples.endIndex {
            let group = samples[index].group
            var log = self.byGroup.removeValue(forKey: group) ?? GroupLog()  // unique: appends do not copy it
            while index != samples.endIndex && samples[index].group == group {
                log.append(samples[index], retentionSeconds: self.retentionSeconds, maxSamples: self.maxSamplesPerGroup,
                           forwardSteps: self.forwardSteps)
                index = samples.index(after: index)
            }
            self.byGroup[group] = log
        }
    }

    /// The arrival stamp for samples recorded now (`nowSeconds`, the wall clock), for every group alike.
    ///
    /// Never earlier than the last stamp, so arrival order and stamps agree through jitter. A clock more than
    /// ``ClockStep/toleranceSeconds`` behind the last stamp was stepped back (NTP only slews, never moves back, by
    /// less): the log then starts over from the new time. Clamping instead would stamp every sample with the old time
    /// until the clock caught up, so no window would see one, and the samples it holds from "later" would count again
    /// in the windows of the repeated time; they belong to a time line the clock has left (history keeps them).
    /// The rule reads the stamps alone, so replay applies it to stored stamps exactly as it was applied live.
    ///
    /// - Parameter uptimeSeconds: the boot clock read with `nowSeconds`: with it a step forward is told from a pause
    ///   between samples (``ClockStep``), and retention does not count the step as time passed.
    public mutating func stamp(nowSeconds: Double, uptimeSeconds: Double? = nil) -> Double {
        if let uptimeSeconds, let wall = self.lastWallSeconds, let uptime = self.lastUptimeSeconds,
           let step = ClockStep.between(wallSeconds: wall, uptimeSeconds: uptime, andWallSeconds: nowSeconds, uptimeSeconds: uptimeSeconds) {
            self.forwardSteps.record(step, atSeconds: nowSeconds)
        }
        self.lastWallSeconds = nowSeconds
        self.lastUptimeSeconds = uptimeSeconds
        if nowSeconds < self.lastStampSeconds - ClockStep.toleranceSeconds {
            self.dropArrivals(after: nowSeconds)
            self.lastStampSeconds = nowSeconds
        } else {
            self.lastStampSeconds = max(nowSeconds, self.lastStampSeconds)
        }
        // A step whose earlier samples have all aged out changes no age any more.
        self.forwardSteps.forget(before: self.forwardSteps.cutoff(ageSeconds: self.retentionSeconds, nowSeconds: self.lastStampSeconds))
        return self.lastStampSeconds
    }

    /// Drops every sample that arrived after `seconds`, and the steps forward after it: the wall clock was stepped
    /// back to `seconds`, and they belong to the time line it left. ``stamp(nowSeconds:uptimeSeconds:)`` does this
    /// live; replay does it where the stored stamps go back.
    public mutating func dropArrivals(after seconds: Double) {
        for group in Array(self.byGroup.keys) {
            var log = self.byGroup.removeValue(forKey: group)!  // unique: the cut does not copy it
            log.dropArrivals(after: seconds)
            if log.count > 0 { self.byGroup[group] = log }
        }
        self.forwardSteps.forget(after: seconds)
    }

    /// Records a step forward of the wall clock, seen at `atSeconds` (the new time): samples stamped before it are
    /// kept as long as the time that really passed allows. Replay calls this with the steps the stored sweeps show
    /// (each sweep keeps the boot clock too), before the samples from after the step, as the live log saw it.
    public mutating func recordForwardStep(_ step: ClockStep, atSeconds: Double) {
        self.forwardSteps.record(step, atSeconds: atSeconds)
    }

    /// The group's samples that arrived in `[from, to)`, in arrival order.
    public func samples(group: String, from: Double, to: Double) -> [LatencySample] {
        Array(self.window(group: group, from: from, to: to))
    }

    /// The same samples as ``samples(group:from:to:)``, kept compact (16 to 24 bytes each) and made into
    /// ``LatencySample``s only as they are read: a detection window of a group pushed at 5,000 a second holds
    /// 150,000 of them.
    public func window(group: String, from: Double, to: Double) -> Window {
        guard let log = self.byGroup[group], from < to else { return Window(group: group) }
        return log.window(group: group, from: from, to: to)
    }

    /// A group's samples over a time range, read-only and independent of the log it came from.
    public struct Window: RandomAccessCollection, Sendable {
        fileprivate let group: String
        fileprivate var entries: [GroupLog.Entry] = []
        /// Empty, or one per entry.
        fileprivate var serverSeconds: [Double] = []
        /// By index in `entries`.
        fileprivate var atTimes = ValueRuns()
        fileprivate var recordedTimes = ValueRuns()
        fileprivate var servers: [String] = []
        /// Error reasons by index in `entries`.
        fileprivate var reasons: [Int: String] = [:]

        fileprivate init(group: String) { self.group = group }

        fileprivate init(group: String, entries: [GroupLog.Entry], serverSeconds: [Double], atTimes: ValueRuns,
                         recordedTimes: ValueRuns, servers: [String], reasons: [Int: String]) {
            self.group = group
            self.entries = entries
            self.serverSeconds = serverSeconds
            self.atTimes = atTimes
            self.recordedTimes = recordedTimes
            self.servers = servers
            self.reasons = reasons
        }

        public var startIndex: Int { 0 }
        public var endIndex: Int { self.entries.count }

        public subscript(position: Int) -> LatencySample {
            let entry = self.entries[position]
            let outcome: LatencySample.Outcome
            switch (entry.flags >> 2) & 3 {
            case 0: outcome = .success
            case 1: outcome = .timeout
            default: outcome = .error(self.reasons[position] ?? "")
            }
            return LatencySample(
                group: self.group, server: self.servers[Int(entry.server)], source: GroupLog.source(entry.flags & 3),
                seconds: entry.seconds,
                serverSeconds: entry.flags & GroupLog.Entry.hasServerSeconds != 0 ? self.serverSeconds[position] : nil,
                outcome: outcome, atSeconds: self.atTimes.value(at: position),
                recordedAtSeconds: entry.flags & GroupLog.Entry.hasRecorded != 0 ? self.recordedTimes.value(at: position) : nil)
        }
    }

    /// Every retained sample of every group, each group in arrival order, groups by name.
    public var all: [LatencySample] {
        self.byGroup.keys.sorted().flatMap { self.byGroup[$0]!.window(group: $0, from: -.infinity, to: .infinity) }
    }

    /// Retained samples, all groups.
    public var count: Int { self.byGroup.values.reduce(0) { $0 + $1.count } }

    public static func == (a: LatencyLog, b: LatencyLog) -> Bool {
        a.retentionSeconds == b.retentionSeconds && a.maxSamplesPerGroup == b.maxSamplesPerGroup && a.all == b.all
    }
}

/// One group's samples: `entries[start...]` are live, in arrival order.
///
/// Entry `i` is sample number `dropped + i - start` counted from the log's beginning; the side tables (times,
/// reasons) are keyed by that sequence number, so dropping from the front moves nothing in them.
fileprivate struct GroupLog: Sendable {
    /// A sample without its group and its times; 16 bytes.
    struct Entry: Sendable {
        var seconds: Double
        /// Index into `servers`.
        var server: UInt32
        /// Source (2 bits), outcome (2 bits: success, timeout, error), has server seconds, has recorded time.
        var flags: UInt32

        static let hasServerSeconds: UInt32 = 1 << 4
        static let hasRecorded: UInt32 = 1 << 5
    }

    private(set) var entries: [Entry] = []
    /// `Server-Timing` seconds, one per entry once any sample of the group had one (empty until then).
    private var serverSeconds: [Double] = []
    /// `atSeconds` of every sample, and `recordedAtSeconds` of those that have one, by sequence number.
    private var atTimes = ValueRuns()
    private var recordedTimes = ValueRuns()
    private var start = 0
    /// Samples dropped from the front since the log began: `dropped + i` is entry `start + i`'s sequence number.
    private var dropped = 0
    private var servers: [String] = []
    private var serverIndex: [String: UInt32] = [:]
    /// Error reasons by sequence number (errors are rare; a reason can be any pushed string, so it is not interned).
    private var reasons: [Int: String] = [:]

    var count: Int { self.entries.count - self.start }

    private func sequence(_ index: Int) -> Int { self.dropped + index - self.start }

    /// When entry `index` arrived: its recorded time, else its `at`.
    private func arrivalSeconds(_ index: Int) -> Double {
        let sequence = self.sequence(index)
        return self.entries[index].flags & Entry.hasRecorded != 0
            ? self.recordedTimes.value(at: sequence) : self.atTimes.value(at: sequence)
    }

    mutating func append(_ sample: LatencySample, retentionSeconds: Double, maxSamples: Int, forwardSteps: ForwardClockSteps) {
        var sample = sample
        if self.count > 0 {
            let last = self.arrivalSeconds(self.entries.count - 1)
            if last > sample.arrivalSeconds { sample.recordedAtSeconds = last }
        }
        let server: UInt32
        if let known = self.serverIndex[sample.server] {
            server = known
        } else {
            server = UInt32(self.servers.count)
            self.servers.append(sample.server)
            self.serverIndex[sample.server] = server
        }
        let sequence = self.dropped + self.count
        var flags = UInt32(Self.sourceCode(sample.source))
        switch sample.outcome {
        case .success: break
        case .timeout: flags |= 1 << 2
        case .error(let reason):
            flags |= 2 << 2
            self.reasons[sequence] = reason
        }
        if let serverSeconds = sample.serverSeconds {
            flags |= Entry.hasServerSeconds
            if self.serverSeconds.isEmpty { self.serverSeconds = Array(repeating: 0, count: self.entries.count) }
            self.serverSeconds.append(serverSeconds)
        } else if !self.serverSeconds.isEmpty {
            self.serverSeconds.append(0)
        }
        self.atTimes.append(sample.atSeconds, at: sequence)
        if let recorded = sample.recordedAtSeconds {
            flags |= Entry.hasRecorded
            self.recordedTimes.append(recorded, at: sequence)
        }
        self.entries.append(Entry(seconds: sample.seconds, server: server, flags: flags))
        // Older than retention by the time that passed, not by the wall clock's distance (``ForwardClockSteps``).
        let cutoff = forwardSteps.isEmpty ? sample.arrivalSeconds - retentionSeconds
            : forwardSteps.cutoff(ageSeconds: retentionSeconds, nowSeconds: sample.arrivalSeconds)
        if self.count > maxSamples || self.arrivalSeconds(self.start) < cutoff {
            var drop = self.firstIndex(arrivedAtOrAfter: cutoff) - self.start
            drop = max(drop, self.count - maxSamples)
            if drop > 0 { self.dropFront(drop) }
        }
    }

    func window(group: String, from: Double, to: Double) -> LatencyLog.Window {
        let lower = self.firstIndex(arrivedAtOrAfter: from), upper = self.firstIndex(arrivedAtOrAfter: to)
        guard lower < upper else { return LatencyLog.Window(group: group) }
        let first = self.sequence(lower), end = self.sequence(upper)
        var reasons: [Int: String] = [:]
        if !self.reasons.isEmpty {
            for (sequence, reason) in self.reasons where sequence >= first && sequence < end {
                reasons[sequence - first] = reason
            }
        }
        return LatencyLog.Window(
            group: group, entries: Array(self.entries[lower..<upper]),
            serverSeconds: self.serverSeconds.isEmpty ? [] : Array(self.serverSeconds[lower..<upper]),
            atTimes: self.atTimes.slice(from: first, to: end), recordedTimes: self.recordedTimes.slice(from: first, to: end),
            servers: self.servers, reasons: reasons)
    }

    /// Drops the samples that arrived after `seconds` (the newest ones: a clock stepped back left them in its future).
    mutating func dropArrivals(after seconds: Double) {
        let cut = self.firstIndex(arrivedAtOrAfter: seconds.nextUp)  // the first arrival later than `seconds`
        guard cut < self.entries.count else { return }
        let firstDroppedSequence = self.sequence(cut)
        self.entries.removeSubrange(cut...)
        if !self.serverSeconds.isEmpty { self.serverSeconds.removeSubrange(cut...) }
        self.atTimes.drop(from: firstDroppedSequence)
        self.recordedTimes.drop(from: firstDroppedSequence)
        if !self.reasons.isEmpty { self.reasons = self.reasons.filter { $0.key < firstDroppedSequence } }
    }

    /// The first live index whose arrival is at or after `seconds` (`entries.count` when none).
    private func firstIndex(arrivedAtOrAfter seconds: Double) -> Int {
        var low = self.start, high = self.entries.count
        while low < high {
            let mid = (low + high) / 2
            if self.arrivalSeconds(mid) >= seconds { high = mid } else { low = mid + 1 }
        }
        return low
    }

    private mutating func dropFront(_ count: Int) {
        self.start += count
        self.dropped += count
        // Compact once an eighth is dead (and at least a few thousand entries): each move of the live entries is
        // paid for by the appends that made that much dead space. The side tables shed what went at the same time.
        if self.start == self.entries.count || (self.start >= 4096 && self.start * 8 >= self.entries.count) {
            self.entries.removeFirst(self.start)
            if !self.serverSeconds.isEmpty { self.serverSeconds.removeFirst(self.start) }
            self.start = 0
            self.atTimes.drop(before: self.dropped)
            self.recordedTimes.drop(before: self.dropped)
            if !self.reasons.isEmpty { self.reasons = self.reasons.filter { $0.key >= self.dropped } }
        }
    }

    private static func sourceCode(_ source: LatencySample.Source) -> UInt8 {
        switch source {
        case .probe: 0
        case .scrape: 1
        case .push: 2
        }
    }

    static func source(_ code: UInt32) -> LatencySample.Source {
        switch code {
        case 0: .probe
        case 1: .scrape
        default: .push
        }
    }
}
