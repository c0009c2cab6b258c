import Foundation
import Testing

@testable import Detectors

/// Replay's sample feed against a live run of the same log and detection: sweeps once a second, samples four
/// times a second between them, the wall clock stepped at a sweep or between sweeps, back or forward, far or
/// barely past the tolerance. Replay is given the samples as history keeps them (in stamp order, all at once) and
/// must close the same windows with the same verdicts.
struct ReplayLatencyFeedTests {
    static let epoch = 1_767_225_600.0
    static let groups = [SweepDetection.Group(name: "g", servers: ["a", "b", "c"], workloadOfServer: [:])]

    @Test(arguments: [
        (40.0, -1800.0),  // at a sweep: the first sweep after the step comes before the first sample after it
        (40.5, -1800.0),  // between sweeps: a sample first
        (40.1, -1800.0),  // just after a sweep: the first sample after the step is stamped before that sweep's time
        (40.5, -1.5),  // barely a step, back into the last second's samples
        (40.5, 86_400.0),  // a day forward inside a window
    ])
    func replayHoldsWhatTheLiveLogHeld(stepAtBootSeconds: Double, stepSeconds: Double) {
        var log = LatencyLog(retentionSeconds: 300)
        var live = SweepDetection(groups: Self.groups, windowSeconds: 5, pageSizeBytes: 4096)
        var liveSteps: [SweepDetection.Step] = [], sweeps: [Sweep] = [], stored: [LatencySample] = []
        for tick in 0..<400 {
            let boot = Double(tick) / 4
            let wall = Self.epoch + boot + (boot < stepAtBootSeconds ? 0 : stepSeconds)
            if tick % 4 == 0 {
                let sweep = Sweep(atSeconds: wall, uptimeSeconds: 5000 + boot)
                sweeps.append(sweep)
                if let step = live.ingest(sweep, samples: { log.window(group: $0, from: $1, to: $2) }) { liveSteps.append(step) }
                continue
            }
            let stamp = log.stamp(nowSeconds: wall, uptimeSeconds: 5000 + boot)
            for (index, server) in ["a", "b", "c"].enumerated() {
                let seconds = (server == "b" && boot >= 20 ? 0.3 : 0.1) * (1 + 0.1 * sin(Double(tick * 3 + index)))
                let sample = LatencySample(group: "g", server: server, source: .push, seconds: seconds, atSeconds: wall,
                                           recordedAtSeconds: stamp)
                log.append(sample)
                stored.append(sample)
            }
        }

        var feed = ReplayLatencyFeed(retentionSeconds: 3600, notBeforeSeconds: Self.epoch)
        feed.enqueue(stored)
        var replay = SweepDetection(groups: Self.groups, windowSeconds: 5, pageSizeBytes: 4096)
        var replayed: [SweepDetection.Step] = []
        var previous: Sweep?
        for sweep in sweeps {
            feed.begin(sweep, previous: previous)
            _ = feed.take(before: sweep)
            previous = sweep
            if let step = replay.ingest(sweep, samples: { feed.log.window(group: $0, from: $1, to: $2) }) { replayed.append(step) }
        }
        #expect(liveSteps.count >= 15)
        #expect(replayed.map(\.endSeconds) == liveSteps.map(\.endSeconds))
        let counts = { (steps: [SweepDetection.Step]) in steps.map { $0.verdicts[0].servers.map(\.statistics.count) } }
        #expect(counts(replayed) == counts(liveSteps))
        #expect(replayed == liveSteps)
    }
}
