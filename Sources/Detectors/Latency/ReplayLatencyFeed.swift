/// Stored latency samples handed to replay's ``LatencyLog`` as the live log took them: by the time each sweep is
/// ingested, the log holds what the daemon's log held then, through wall-clock steps in either direction.
///
/// Samples come in the order they were stamped (history writes them so) and sweeps in the order they were taken;
/// their times alone do not say which came first once the wall clock has been stepped back, because the repeated
/// time holds samples from before the step and after it. So:
/// - before a sweep, the samples stamped before it are added (their stamps are earlier than the sweep's time);
/// - a stamp earlier than the one before by more than ``ClockStep/toleranceSeconds`` is where the live log
///   started over (``LatencyLog/stamp(nowSeconds:uptimeSeconds:)``): the log drops the samples from later, as it
///   did live, but only once the sweeps have shown that step back (a sample stamped after the step waits for the
///   first sweep after it; one before the step never waits);
/// - at the first sweep after a step back, the samples stamped before the step that are still to come (up to where
///   the clock had got) go in first, since live they were in the log before the step;
/// - a step forward the sweeps show is recorded in the log before the samples after it, so retention counts the
///   time that passed, as the live log (which read the boot clock) did.
/// Steps back of less than twice the tolerance may not show in the sweeps (their tolerance grows with the interval
/// between them); the samples' own cut is taken for them without waiting.
public struct ReplayLatencyFeed: Sendable {
    public private(set) var log: LatencyLog
    /// Queued samples, stamp order; `queue[head...]` are still to come.
    private var queue: [LatencySample] = []
    private var head = 0
    /// Until the run's first sample, those stamped before this belong to an earlier run of the daemon and are
    /// skipped (later ones may be stamped earlier: the clock may be stepped back within the run).
    private var notBeforeSeconds: Double
    /// The latest stamp taken into the log.
    private var lastArrivalSeconds = -Double.infinity
    /// After a step back the sweeps showed: the earliest stamp the samples' own cut for it may have.
    private var backwardFloorSeconds: Double?
    /// While catching up after a step back: the latest time the clock reached before it.
    private var drainThroughSeconds: Double?

    public init(retentionSeconds: Double, notBeforeSeconds: Double = -.infinity) {
        self.log = LatencyLog(retentionSeconds: retentionSeconds, maxSamplesPerGroup: .max)
        self.notBeforeSeconds = notBeforeSeconds
    }

    /// Queues samples read from history, in the order they were stamped.
    public mutating func enqueue(_ samples: some Sequence<LatencySample>) {
        if self.head > 4096 && self.head * 2 > self.queue.count {
            self.queue.removeFirst(self.head)
            self.head = 0
        }
        self.queue.append(contentsOf: samples)
    }

    /// Samples queued and not yet taken.
    public var queuedCount: Int { self.queue.count - self.head }

    /// Notes the sweep about to be ingested, after `previous`: a step of the wall clock between them.
    public mutating func begin(_ sweep: Sweep, previous: Sweep?) {
        guard let previous, let step = ClockStep.between(previous, sweep) else { return }
        let interval = sweep.elapsedSeconds(since: previous)
        switch step.direction {
        case .backward:
            // Stepped somewhere in the interval: the clock reached at most the previous sweep's time plus it, and
            // the first stamp after the step is at least this sweep's time less it.
            self.drainThroughSeconds = previous.atSeconds + interval + ClockStep.toleranceSeconds
            self.backwardFloorSeconds = sweep.atSeconds - interval - ClockStep.toleranceSeconds
        case .forward:
            self.log.recordForwardStep(step, atSeconds: sweep.atSeconds)
        }
    }

    /// Takes the samples stamped before `sweep` (after ``begin(_:previous:)``).
    ///
    /// - Returns: `false` when the queue ran out first: queue more (``enqueue(_:)``) and call again; `true` once
    ///   the next queued sample is not for this sweep.
    public mutating func take(before sweep: Sweep) -> Bool {
        while self.head < self.queue.count {
            let sample = self.queue[self.head]
            let arrival = sample.arrivalSeconds
            if arrival < self.notBeforeSeconds {
                self.head += 1
                continue
            }
            self.notBeforeSeconds = -.infinity
            let cut = arrival < self.lastArrivalSeconds - ClockStep.toleranceSeconds
            if let through = self.drainThroughSeconds {
                if !cut && arrival <= through {
                    self.add(sample)
                    continue
                }
                self.drainThroughSeconds = nil
            }
            guard arrival < sweep.atSeconds else { return true }
            if cut {
                let shown = self.backwardFloorSeconds.map { arrival >= $0 } ?? false
                let small = self.lastArrivalSeconds - arrival <= 2 * ClockStep.toleranceSeconds
                guard shown || small else { return true }  // its step back is still ahead in the sweeps
                if shown { self.backwardFloorSeconds = nil }
                self.log.dropArrivals(after: arrival)
                self.lastArrivalSeconds = arrival
            }
            self.add(sample)
        }
        return false
    }

    private mutating func add(_ sample: LatencySample) {
        self.log.append(sample)
        self.lastArrivalSeconds = max(self.lastArrivalSeconds, sample.arrivalSeconds)
        self.head += 1
    }
}
