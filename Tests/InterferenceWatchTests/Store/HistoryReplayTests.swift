import Detectors
import Foundation
import Logging
import Synchronization
import Testing

@testable import InterferenceWatch

/// Replay of stored history gives the verdicts live detection gave, through wall-clock steps: the daemon's own
/// recorder, detection engine and history writer run on test clocks, the wall clock is stepped back half an hour
/// and then forward a day, and the stored run is replayed from the file.
struct HistoryReplayTests {
    static let epoch = 1_767_225_600.0

    /// The live side, as `run` wires it (samples go to history as they are stamped, each step as it closes), on a
    /// wall and a boot clock the test moves. Returns the live steps.
    static func live(storage: String, wallOffset: (_ bootSeconds: Double) -> Double) throws -> [SweepDetection.Step] {
        let clock = Mutex((wall: Self.epoch, uptime: 5000.0))
        let database = try HistoryDatabase(directory: storage)
        let writer = HistoryWriter(database: database, retention: .init(maxAgeSeconds: 1e12), logger: Logger(label: "t"))
        let recorder = LatencyRecorder(retentionSeconds: 300, now: { clock.withLock { $0.wall } }, uptime: { clock.withLock { $0.uptime } })
        recorder.setSink { writer.enqueue(.samples($0)) }
        let live = Mutex<[SweepDetection.Step]>([])
        let groups = [SweepDetection.Group(name: "api", servers: ["a", "b", "c"], workloadOfServer: [:])]
        let engine = DetectionEngine(groups: groups, windowSeconds: 5, recorder: recorder, pageSizeBytes: 4096, logger: Logger(label: "t"),
                                     onStep: { step, _ in
                                         live.withLock { $0.append(step) }
                                         writer.enqueue(.step(step))
                                     })
        writer.enqueue(.run(engine.run(startedAtSeconds: Self.epoch)))
        // Four ticks a second for 150 s: a sweep on each whole second, a sample per server on the others; `b`
        // slows to three times `a` from second 20 on, so windows hold findings as well as statistics.
        for tick in 0..<600 {
            let boot = Double(tick) / 4
            clock.withLock { $0 = (Self.epoch + boot + wallOffset(boot), 5000 + boot) }
            let wall = clock.withLock { $0.wall }
            if tick % 4 == 0 {
                let sweep = Sweep(atSeconds: wall, uptimeSeconds: 5000 + boot,
                                  host: HostSample(meminfoBytes: ["MemTotal": 8 << 30, "MemAvailable": 4 << 30], vmstat: ["pswpin": 0]))
                writer.enqueue(.sweep(sweep))
                engine.ingest(sweep)
            } else {
                let jitter = 1 + 0.2 * sin(Double(tick))
                recorder.record([
                    LatencySample(group: "api", server: "a", source: .push, seconds: 0.1 * jitter, atSeconds: wall),
                    LatencySample(group: "api", server: "b", source: .push, seconds: (boot < 20 ? 0.1 : 0.3) * (2 - jitter), atSeconds: wall),
                    LatencySample(group: "api", server: "c", source: .push, seconds: 0.1 * (2 - jitter), atSeconds: wall),
                ])
            }
            if tick % 20 == 0 { try writer.flushNow() }  // writes land a few seconds apart, as live
        }
        try writer.flushNow()
        return live.withLock { $0 }
    }

    @Test func aRunWithStepsBackAndForwardReplaysToTheVerdictsItHadLive() throws {
        let tree = try TemporaryTree()
        // Half an hour back between seconds 40 and 41, a day forward between 100 and 101 (inside a window).
        let live = try Self.live(storage: tree.root) { boot in boot < 40.5 ? 0 : boot < 100.5 ? -1800 : 86_400 - 1800 }
        #expect(live.count >= 20, "\(live.count) windows")
        #expect(live.contains { !$0.changes.opened.isEmpty }, "no finding opened live")
        // The window open across the step forward holds the samples from before it (three a second per server).
        let across = try #require(live.first { $0.startSeconds < Self.epoch + 100 - 1800 && $0.endSeconds > Self.epoch + 80_000 })
        #expect(across.verdicts[0].servers.allSatisfy { $0.statistics.count >= 12 }, "\(across.verdicts[0].servers.map(\.statistics.count))")

        let replayed = try HistoryReplay(reader: HistoryReader(database: try HistoryDatabase(directory: tree.root, create: false)))
            .steps(from: 0, to: .infinity)
        #expect(replayed.count == live.count)
        for (index, (a, b)) in zip(live, replayed).enumerated() where a != b {
            let counts = { (step: SweepDetection.Step) in "\(step.startSeconds)...\(step.endSeconds) \(step.verdicts.map { $0.servers.map(\.statistics.count) })" }
            let x = Array("\(a)"), y = Array("\(b)")
            let at = zip(x, y).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(x.count, y.count)
            Issue.record("window \(index) differs:\nlive   \(counts(a)) …\(String(x[max(0, at - 300)..<min(x.count, at + 200)]))\nreplay \(counts(b)) …\(String(y[max(0, at - 300)..<min(y.count, at + 200)]))")
            break
        }
        // A range replays the windows that ended in it, the repeated half hour's included.
        let ranged = try HistoryReplay(reader: HistoryReader(database: try HistoryDatabase(directory: tree.root, create: false)))
            .steps(from: Self.epoch - 1800, to: Self.epoch + 80)
        let expected = live.filter { $0.endSeconds >= Self.epoch - 1800 && $0.endSeconds <= Self.epoch + 80 }
        #expect(ranged.map(\.endSeconds) == expected.map(\.endSeconds))
        #expect(ranged == expected)
    }
}
