import Detectors

/// Runs stored history through the detectors again: each recorded run of the daemon from its own start (so the
/// detectors' debouncing and baselines begin where the live ones did), a bounded number of sweeps and sample
/// batches at a time so a day of history never sits in memory at once.
///
/// Sweeps are fed in the order they were written and samples in the order they were stamped, not by their times:
/// after a wall clock stepped back the times repeat, and live detection saw the repeated hour's sweeps after the
/// first one's, with only the samples stamped after the step (``LatencyLog/stamp(nowSeconds:uptimeSeconds:)``
/// dropped the rest). ``ReplayLatencyFeed`` gives the detection the samples live detection held at each sweep, so a replay
/// of a run with steps gives the verdicts the daemon gave.
struct HistoryReplay {
    let reader: HistoryReader
    /// Groups to detect with; `nil`: each run's own (reproduces what the daemon found live).
    var groups: [SweepDetection.Group]?
    /// Window length; `nil`: each run's own.
    var windowSeconds: Double?
    var configuration = GroupDetector.Configuration()
    /// Sweeps read at a time.
    var chunkSweeps: Int64 = 2000
    /// Latency batches read at a time (one a second live, so a minute of them).
    var chunkBatches = 60

    /// The steps of windows that ended in `[from, to]`, in the order live detection closed them.
    func steps(from: Double, to: Double) throws -> [SweepDetection.Step] {
        let runs = try self.reader.runs()
        guard let all = try self.reader.sweepSpan(seq: Int64.min...Int64.max) else { return [] }
        // Each run starts at its first sweep: the first written after the previous run's, at or after its start
        // (the clock may have been stepped back within the run before). History from before the first recorded run
        // replays as one.
        var segments: [(run: DetectionRun?, firstSeq: Int64)] = []
        var previousSeq = all.first - 1
        for (index, run) in runs.enumerated() {
            guard let seq = try self.reader.sweepSeq(after: previousSeq, atOrAfterSeconds: run.startedAtSeconds) else { break }
            // A run that stopped before its first sweep: that sweep is the next run's.
            if index + 1 < runs.count, let at = try self.reader.sweepSpan(seq: seq...seq)?.earliest,
               at >= runs[index + 1].startedAtSeconds { continue }
            if segments.isEmpty && seq > all.first { segments.append((nil, all.first)) }
            segments.append((run, seq))
            previousSeq = seq
        }
        if segments.isEmpty { segments.append((nil, all.first)) }

        var steps: [SweepDetection.Step] = []
        var batchID: Int64 = 0
        for (index, segment) in segments.enumerated() {
            let lastSeq = index + 1 < segments.count ? segments[index + 1].firstSeq - 1 : all.last
            guard let span = try self.reader.sweepSpan(seq: segment.firstSeq...lastSeq) else { continue }
            let window = self.windowSeconds ?? segment.run?.windowSeconds ?? 30
            // Live, a run began with an empty log: its samples are those stamped from its start on.
            let startSeconds = segment.run?.startedAtSeconds ?? span.earliest
            batchID = try self.reader.sampleBatchID(before: startSeconds, after: batchID)
            guard span.latest >= from && span.earliest <= to + window, let groups = self.groups ?? segment.run?.groups else { continue }
            var detection = SweepDetection(groups: groups, windowSeconds: window, pageSizeBytes: segment.run?.pageSizeBytes ?? 4096,
                                           configuration: self.configuration, baselines: segment.run?.baselines ?? [:])
            var feed = ReplayLatencyFeed(retentionSeconds: max(3600, 3 * window), notBeforeSeconds: startSeconds)
            var nextBatchID = batchID, batchesLeft = true
            var previous: Sweep?
            var seq = span.first
            chunks: while seq <= span.last {
                let chunk = try self.reader.sweeps(seq: seq...min(span.last, seq + self.chunkSweeps - 1))
                for (_, sweep) in chunk {
                    feed.begin(sweep, previous: previous)
                    while !feed.take(before: sweep) && batchesLeft {
                        let batches = try self.reader.sampleBatches(afterID: nextBatchID, limit: self.chunkBatches)
                        for batch in batches { feed.enqueue(batch.samples) }
                        nextBatchID = batches.last?.id ?? nextBatchID
                        batchesLeft = batches.count == self.chunkBatches
                    }
                    previous = sweep
                    if let step = detection.ingest(sweep, samples: { feed.log.window(group: $0, from: $1, to: $2) }),
                       step.endSeconds >= from && step.endSeconds <= to {
                        steps.append(step)
                    }
                }
                seq += self.chunkSweeps
                // Past the range, and no later sweep of the run goes back into it: done with this run.
                if let last = previous, last.atSeconds > to + window, seq <= span.last,
                   let rest = try self.reader.sweepSpan(seq: seq...span.last), rest.earliest > to + window {
                    break chunks
                }
            }
        }
        return steps
    }
}
