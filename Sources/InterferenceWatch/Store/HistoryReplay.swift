import Detectors

/// Runs stored history through the detectors again: each recorded run of the daemon from its own start (so the
/// detectors' debouncing and baselines begin where the live ones did), an hour of sweeps and samples at a time so a
/// day of history never sits in memory at once.
struct HistoryReplay {
    let reader: HistoryReader
    /// Groups to detect with; `nil`: each run's own (reproduces what the daemon found live).
    var groups: [SweepDetection.Group]?
    /// Window length; `nil`: each run's own.
    var windowSeconds: Double?
    var configuration = GroupDetector.Configuration()
    var chunkSeconds = 3600.0

    /// The steps of windows that ended in `[from, to]`, oldest first.
    func steps(from: Double, to: Double) throws -> [SweepDetection.Step] {
        let runs = try self.reader.runs()
        guard let range = try self.reader.sweepTimeRange() else { return [] }
        // Each run reaches until the next one began; history from before the first recorded run replays as one.
        var segments: [(run: DetectionRun?, start: Double, end: Double)] = []
        let firstStart = runs.first?.startedAtSeconds ?? .infinity
        if range.first < firstStart { segments.append((nil, range.first, min(firstStart, range.last + 1))) }
        for (index, run) in runs.enumerated() {
            let end = index + 1 < runs.count ? runs[index + 1].startedAtSeconds : range.last + 1
            segments.append((run, run.startedAtSeconds, end))
        }
        var steps: [SweepDetection.Step] = []
        for segment in segments where segment.end >= from && segment.start <= to {
            let window = self.windowSeconds ?? segment.run?.windowSeconds ?? 30
            guard let groups = self.groups ?? segment.run?.groups else { continue }
            var detection = SweepDetection(groups: groups, windowSeconds: window, pageSizeBytes: segment.run?.pageSizeBytes ?? 4096,
                                           configuration: self.configuration, baselines: segment.run?.baselines ?? [:])
            var log = LatencyLog(retentionSeconds: max(3600, 3 * window), maxSamplesPerGroup: .max)
            var chunkStart = segment.start
            let segmentEnd = min(segment.end, to + window)
            while chunkStart < segmentEnd {
                let chunkEnd = min(chunkStart + self.chunkSeconds, segmentEnd)
                // Samples arrive up to the chunk's last sweep; take them with a margin, the log orders them.
                // Half-open chunks: what arrived at exactly `chunkEnd` belongs to the next one.
                for sample in try self.reader.samples(from: chunkStart, to: chunkEnd) where sample.arrivalSeconds < chunkEnd {
                    log.append(sample)
                }
                let sweeps = try self.reader.sweeps(from: chunkStart, to: chunkEnd).filter { $0.atSeconds < chunkEnd }
                for sweep in sweeps {
                    if let step = detection.ingest(sweep, samples: { log.window(group: $0, from: $1, to: $2) }),
                       step.endSeconds >= from && step.endSeconds <= to {
                        steps.append(step)
                    }
                }
                chunkStart = chunkEnd
            }
        }
        return steps
    }
}
