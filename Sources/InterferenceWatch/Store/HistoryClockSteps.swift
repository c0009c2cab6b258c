import Detectors
import GRDB
import Logging
import Synchronization

/// The steps forward of the wall clock that stored rows were written across, kept in the history file (table
/// `clock_steps`) so that retention, in this run and after a restart, does not count them as time passed.
///
/// The writer's thread reads both clocks every round (``observe()``): a step forward since the last reading goes
/// into the file at once, so a restart soon after it still knows it. A step back needs no entry
/// (``ForwardClockSteps``). A step made while the daemon is stopped is not seen: nothing reads the clocks then.
final class HistoryClockSteps: Sendable {
    private struct State {
        var lastWallSeconds: Double?
        var lastUptimeSeconds: Double?
        /// Loaded from the file on first use.
        var steps: ForwardClockSteps?
        /// Seen but not yet in the file (a failed write): written with the next reading.
        var unsaved: [ForwardClockSteps.Step] = []
        /// Whether the last reading failed to read or write the file (logged once per outage).
        var failing = false
    }

    private let database: HistoryDatabase
    private let now: @Sendable () -> Double
    private let uptime: @Sendable () -> Double
    private let logger: Logger
    private let state = Mutex(State())

    init(database: HistoryDatabase, now: @escaping @Sendable () -> Double, uptime: @escaping @Sendable () -> Double, logger: Logger) {
        self.database = database
        self.now = now
        self.uptime = uptime
        self.logger = logger
    }

    /// Reads both clocks and keeps a step forward since the last reading.
    ///
    /// - Returns: the wall clock's reading and the steps forward known (those not yet written included); `steps` is
    ///   `nil` while the file cannot be read, and `failed` says the file could not be read or written this time.
    func observe() -> (wallSeconds: Double, steps: ForwardClockSteps?, failed: Bool) {
        let wall = self.now(), uptime = self.uptime()
        return self.state.withLock { state in
            defer {
                state.lastWallSeconds = wall
                state.lastUptimeSeconds = uptime
            }
            if let lastWall = state.lastWallSeconds, let lastUptime = state.lastUptimeSeconds,
               let step = ClockStep.between(wallSeconds: lastWall, uptimeSeconds: lastUptime, andWallSeconds: wall, uptimeSeconds: uptime),
               step.direction == .forward {
                state.unsaved.append(.init(atSeconds: wall, seconds: step.seconds))
            }
            var failed = false
            do {
                if state.steps == nil {
                    state.steps = ForwardClockSteps(steps: try self.database.pool.read { db in
                        try Row.fetchAll(db, sql: "SELECT at_seconds, step_seconds FROM clock_steps").map {
                            ForwardClockSteps.Step(atSeconds: $0["at_seconds"], seconds: $0["step_seconds"])
                        }
                    })
                }
                if !state.unsaved.isEmpty {
                    let unsaved = state.unsaved
                    try self.database.pool.write { db in
                        for step in unsaved {
                            try db.execute(sql: "INSERT INTO clock_steps (at_seconds, step_seconds) VALUES (?, ?)",
                                           arguments: [step.atSeconds, step.seconds])
                        }
                    }
                    for step in unsaved { state.steps!.record(ClockStep(seconds: step.seconds), atSeconds: step.atSeconds) }
                    state.unsaved = []
                }
                if state.failing {
                    self.logger.info("history keeps the wall clock's steps again", metadata: ["file.path": "\(self.database.path)"])
                }
                state.failing = false
            } catch {
                failed = true
                if !state.failing {
                    self.logger.warning("history could not read or keep the wall clock's steps; retention waits for them",
                                        metadata: ["file.path": "\(self.database.path)", "error": "\(error)"])
                    state.failing = true
                }
            }
            guard var steps = state.steps else { return (wall, nil, failed) }
            for step in state.unsaved { steps.record(ClockStep(seconds: step.seconds), atSeconds: step.atSeconds) }
            return (wall, steps, failed)
        }
    }

    /// Forgets the steps at or before `cutoff`, the retention's cutoff: no row from before them is left.
    func forget(before cutoff: Double) throws {
        let stale = self.state.withLock { $0.steps?.steps.contains { $0.atSeconds <= cutoff } ?? false }
        guard stale else { return }
        try self.database.pool.write { try $0.execute(sql: "DELETE FROM clock_steps WHERE at_seconds <= ?", arguments: [cutoff]) }
        self.state.withLock { $0.steps?.forget(before: cutoff) }
    }
}
