import Detectors
import Foundation
import GRDB
import Logging
import Synchronization
import Testing

@testable import InterferenceWatch

/// Retention through a wall clock stepped forward: rows stored before the step are aged by the time that passed, in
/// the run that saw the step and after a restart.
extension HistoryStoreTests {
    /// Test clocks for the writer's thread: wall and boot clock, moved by the test.
    final class Clocks: Sendable {
        let seconds = Mutex((wall: 1_767_225_600.0, uptime: 5000.0))
        func advance(wall: Double, uptime: Double) { self.seconds.withLock { $0 = ($0.wall + wall, $0.uptime + uptime) } }
    }

    @Test func aWallClockSteppedForwardDoesNotAgeWhatWasStoredBeforeIt() async throws {
        let tree = try TemporaryTree()
        let database = try HistoryDatabase(directory: tree.root)
        let clocks = Clocks()
        let writer = HistoryWriter(database: database, retention: HistoryRetention(maxAgeSeconds: 3600, checkIntervalSeconds: 0.5),
                                   flushIntervalSeconds: 0.02, now: { clocks.seconds.withLock { $0.wall } },
                                   uptime: { clocks.seconds.withLock { $0.uptime } }, logger: Logger(label: "t"))
        writer.start()
        defer { writer.stop() }
        let reader = HistoryReader(database: database)
        let before = Self.sweeps(600, workloads: 2)
        for sweep in before { writer.enqueue(.sweep(sweep)) }
        #expect(await eventually(within: 30) { (try? reader.sweeps(from: 0, to: .infinity).count) == 600 })
        clocks.advance(wall: 600, uptime: 600)  // the ten minutes they took

        // A day forward, a second later: an hour's retention would take every row stored before the step.
        clocks.advance(wall: 86_400, uptime: 1)
        let after = Self.sweeps(5, workloads: 2, start: before.last!.atSeconds + 86_401)
        for (index, sweep) in after.enumerated() {
            writer.enqueue(.sweep(sweep))
            #expect(await eventually(within: 30) { (try? reader.sweeps(from: 0, to: .infinity).count) == 601 + index })
            clocks.advance(wall: 1, uptime: 1)  // a retention pass between each
        }
        #expect(writer.counters.retentionDeletesTotal == 0)
        #expect(Array(try reader.sweeps(from: 0, to: .infinity).prefix(600)) == before)

        // Once they have really aged an hour (the boot clock says so), they go.
        clocks.advance(wall: 3600, uptime: 3600)
        writer.enqueue(.sweep(Self.sweeps(1, workloads: 2, start: after.last!.atSeconds + 3600)[0]))
        #expect(await eventually(within: 30) { writer.counters.retentionDeletesTotal > 0 })
        #expect(try reader.sweeps(from: 0, to: .infinity).first!.atSeconds > before[0].atSeconds)
    }

    @Test func aStepForwardStillDoesNotAgeWhatCameBeforeItAfterARestart() throws {
        let tree = try TemporaryTree()
        let clocks = Clocks()
        func writer(_ database: HistoryDatabase) -> HistoryWriter {
            HistoryWriter(database: database, retention: HistoryRetention(maxAgeSeconds: 3600),
                          now: { clocks.seconds.withLock { $0.wall } }, uptime: { clocks.seconds.withLock { $0.uptime } },
                          logger: Logger(label: "t"))
        }
        func steps(_ database: HistoryDatabase) throws -> Int {
            try database.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM clock_steps") } ?? -1
        }
        var database = try HistoryDatabase(directory: tree.root)
        let first = writer(database)
        #expect(try first.applyRetention() == 0)
        // Ten minutes of sweeps (one a second, keyframes every 300), then the wall clock a day forward.
        let before = Self.sweeps(600, workloads: 2)
        for sweep in before { first.enqueue(.sweep(sweep)) }
        try first.flushNow()
        clocks.advance(wall: 600, uptime: 600)
        #expect(try first.applyRetention() == 0)
        clocks.advance(wall: 86_400, uptime: 1)
        #expect(try first.applyRetention() == 0)
        #expect(try steps(database) == 1)
        for sweep in Self.sweeps(5, workloads: 2, start: before.last!.atSeconds + 86_402) { first.enqueue(.sweep(sweep)) }
        try first.flushNow()

        // A restart: the file reopened by a writer that never saw the step (the boot clock goes on).
        try database.pool.close()
        database = try HistoryDatabase(directory: tree.root)
        let second = writer(database)
        let reader = HistoryReader(database: database)
        clocks.advance(wall: 60, uptime: 60)
        #expect(try second.applyRetention() == 0)
        clocks.advance(wall: 1800, uptime: 1800)
        #expect(try second.applyRetention() == 0)
        #expect(Array(try reader.sweeps(from: 0, to: .infinity).prefix(600)) == before)

        // 1540 s on, the boot clock says the sweeps up to the 400th have aged past the hour (the first was stored 4001 s
        // ago): they may go, and retention takes them a keyframe's range at a time, up to the 300th; none younger.
        clocks.advance(wall: 1540, uptime: 1540)
        #expect(try second.applyRetention() > 0)
        let kept = try reader.sweeps(from: 0, to: .infinity)
        #expect(kept.first == before[300] && Array(kept.prefix(300)) == Array(before[300...]))
        #expect(try steps(database) == 1)

        // Once everything from before the step is past the hour, the allowance goes with it.
        clocks.advance(wall: 3600, uptime: 3600)
        _ = try second.applyRetention()
        #expect(try steps(database) == 0)
        #expect(try reader.sweeps(from: 0, to: .infinity).allSatisfy { $0.atSeconds > before.last!.atSeconds })
    }
}
