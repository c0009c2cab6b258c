import Detectors
import Dispatch
import Foundation
import GRDB
import Logging
import Synchronization

/// Writes history off the hot path: producers only append to a bounded queue; one thread of its own (never the
/// sweep, never Swift's cooperative pool) writes everything queued once per flush interval, in one transaction.
///
/// A failed write (a full or slow disk) keeps the batch queued and retries it, logs once per outage and counts
/// every failure; when the queue is over its bound the oldest items are dropped and counted, never the sweep
/// delayed. `kill -9` loses at most what was queued since the last commit: one flush interval.
final class HistoryWriter: Sendable {
    enum Item: Sendable {
        case sweep(Sweep)
        case samples([LatencySample])
        case step(SweepDetection.Step)
        /// A small document kept under a key (the advisor's state, the baselines).
        case state(key: String, value: Data, atSeconds: Double)
        case run(DetectionRun)
        case alert(AlertLifecycle.Transition)
    }

    /// Counters for the exposition.
    struct Counters: Sendable, Equatable {
        var writeErrorsTotal: UInt64 = 0
        var writesTotal: UInt64 = 0
        var droppedItemsTotal: UInt64 = 0
        var retentionDeletesTotal: UInt64 = 0
        var lastWriteSeconds: Double = 0
    }

    private struct Queue {
        var items: [Item] = []
        var stopping = false
        var counters = Counters()
    }

    let database: HistoryDatabase
    let flushIntervalSeconds: Double
    let maxQueuedItems: Int
    let retention: HistoryRetention
    private let logger: Logger
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let now: @Sendable () -> Double
    private let uptime: @Sendable () -> Double
    private let clockSteps: HistoryClockSteps

    /// - Parameters:
    ///   - now: the wall clock (stored times, the retention cutoff).
    ///   - uptime: the boot clock (how often retention runs; what tells a wall clock stepped forward, which then
    ///     does not age what was stored before it: ``HistoryClockSteps``).
    init(database: HistoryDatabase, retention: HistoryRetention, flushIntervalSeconds: Double = 1, maxQueuedItems: Int = 100_000,
         now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
         uptime: @escaping @Sendable () -> Double = BootClock.seconds, logger: Logger) {
        self.database = database
        self.retention = retention
        self.flushIntervalSeconds = flushIntervalSeconds
        self.maxQueuedItems = maxQueuedItems
        self.now = now
        self.uptime = uptime
        self.logger = logger
        self.clockSteps = HistoryClockSteps(database: database, now: now, uptime: uptime, logger: logger)
    }

    /// Starts the writer thread.
    func start() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "history-writer"
        thread.start()
    }

    /// Queues an item; never blocks on the disk.
    func enqueue(_ item: Item) {
        let dropped = self.queue.withLock { queue -> Bool in
            queue.items.append(item)
            guard queue.items.count > self.maxQueuedItems else { return false }
            queue.items.removeFirst(queue.items.count - self.maxQueuedItems)
            queue.counters.droppedItemsTotal += 1
            return queue.counters.droppedItemsTotal == 1
        }
        if dropped { self.logger.error("history queue full: the disk is not keeping up, dropping the oldest unwritten items") }
    }

    var counters: Counters { self.queue.withLock { $0.counters } }

    /// Writes what is queued and stops the thread (graceful shutdown); waits at most `timeoutSeconds`.
    ///
    /// - Returns: whether everything queued was written (not when a write failed or the wait ran out).
    @discardableResult
    func stop(timeoutSeconds: Double = 10) -> Bool {
        self.queue.withLock { $0.stopping = true }
        self.wake.signal()
        guard self.finished.wait(timeout: .now() + timeoutSeconds) == .success else { return false }
        return self.queue.withLock { $0.items.isEmpty }
    }

    /// Writes everything queued now, on the caller's thread (tests, the store benchmark).
    func flushNow() throws {
        let items = self.queue.withLock { queue -> [Item] in
            defer { queue.items = [] }
            return queue.items
        }
        guard !items.isEmpty else { return }
        do {
            try self.write(items)
        } catch {
            self.queue.withLock { $0.items.insert(contentsOf: items, at: 0) }
            throw error
        }
    }

    // MARK: - The thread

    private func loop() {
        var failing = false
        var lastRetention = -Double.infinity
        while true {
            _ = self.wake.wait(timeout: .now() + self.flushIntervalSeconds)
            let (items, stopping) = self.queue.withLock { queue -> ([Item], Bool) in
                defer { queue.items = [] }
                return (queue.items, queue.stopping)
            }
            if !items.isEmpty {
                do {
                    try self.write(items)
                    if failing {
                        self.logger.info("history writes work again", metadata: ["file.path": "\(self.database.path)"])
                        failing = false
                    }
                } catch {
                    // Back in front of anything queued meanwhile, bounded like the queue.
                    self.queue.withLock { queue in
                        queue.items.insert(contentsOf: items, at: 0)
                        queue.counters.writeErrorsTotal += 1
                        if queue.items.count > self.maxQueuedItems {
                            queue.counters.droppedItemsTotal += UInt64(queue.items.count - self.maxQueuedItems)
                            queue.items.removeFirst(queue.items.count - self.maxQueuedItems)
                        }
                    }
                    if !failing {
                        self.logger.error("history write failed, keeping the data queued and retrying",
                                          metadata: ["file.path": "\(self.database.path)", "error": "\(error)"])
                        failing = true
                    }
                    if stopping { break }
                    continue
                }
            }
            // The clocks every round, not only when retention is due: a step is then on file before a restart
            // that follows it within the retention interval.
            _ = self.observeClock()
            let uptime = self.uptime()
            if uptime - lastRetention >= self.retention.checkIntervalSeconds {
                lastRetention = uptime
                do {
                    _ = try self.applyRetention()
                } catch {
                    self.queue.withLock { $0.counters.writeErrorsTotal += 1 }
                    self.logger.warning("history retention failed", metadata: ["error": "\(error)"])
                }
            }
            if stopping && self.queue.withLock({ $0.items.isEmpty }) { break }
        }
        self.finished.signal()
    }

    // MARK: - Retention and the clock

    /// Reads both clocks (``HistoryClockSteps/observe()``), counting a failure to read or keep the steps.
    @discardableResult
    func observeClock() -> (wallSeconds: Double, steps: ForwardClockSteps)? {
        let reading = self.clockSteps.observe()
        if reading.failed { self.queue.withLock { $0.counters.writeErrorsTotal += 1 } }
        return reading.steps.map { (reading.wallSeconds, $0) }
    }

    /// One retention pass at the clocks' reading now: rows older than the retention by the time that passed go,
    /// and so do the steps forward that no kept row was written before.
    ///
    /// - Returns: rows deleted; none when the steps could not be read (retention then waits for the next pass
    ///   rather than age rows by a step it does not know).
    @discardableResult
    func applyRetention() throws -> Int {
        guard let reading = self.observeClock() else { return 0 }
        let deleted = try self.retention.apply(to: self.database, nowSeconds: reading.wallSeconds, forwardSteps: reading.steps)
        try self.clockSteps.forget(before: reading.steps.cutoff(ageSeconds: self.retention.maxAgeSeconds, nowSeconds: reading.wallSeconds))
        if deleted > 0 { self.queue.withLock { $0.counters.retentionDeletesTotal += UInt64(deleted) } }
        return deleted
    }

    // MARK: - Writing

    /// Sweep chain state; only the writer thread (or a caller of ``flushNow()``) touches it, one at a time.
    private let chain = Mutex(SweepChain())

    private func write(_ items: [Item]) throws {
        let encoder = StoredJSON.encoder
        try self.chain.withLock { chain in
            var next = chain
            try self.database.pool.write { db in
                var samples: [LatencySample] = []
                for item in items {
                    switch item {
                    case .sweep(let sweep):
                        try next.append(sweep, encoder: encoder, db: db)
                    case .samples(let batch):
                        samples += batch
                    case .step(let step):
                        try Self.write(step, encoder: encoder, db: db)
                    case .state(let key, let value, let at):
                        try db.execute(sql: "INSERT OR REPLACE INTO state (key, value, updated_at) VALUES (?, ?, ?)",
                                       arguments: [key, String(decoding: value, as: UTF8.self), at])
                    case .alert(let transition):
                        try db.execute(sql: "INSERT INTO alert_events (at_seconds, transition) VALUES (?, ?)",
                                       arguments: [transition.atSeconds, String(decoding: try encoder.encode(transition), as: UTF8.self)])
                    case .run(let run):
                        // Episodes a previous run left open ended with it.
                        try db.execute(sql: "UPDATE episodes SET resolved_at = ? WHERE resolved_at IS NULL", arguments: [run.startedAtSeconds])
                        try db.execute(sql: "INSERT INTO runs (started_at, run) VALUES (?, ?)",
                                       arguments: [run.startedAtSeconds, String(decoding: try encoder.encode(run), as: UTF8.self)])
                        next.forceKeyframe()
                    }
                }
                if !samples.isEmpty {
                    let arrivals = samples.map(\.arrivalSeconds)
                    try db.execute(sql: "INSERT INTO latency_batches (first_recorded, last_recorded, count, samples) VALUES (?, ?, ?, ?)",
                                   arguments: [arrivals.min()!, arrivals.max()!, samples.count, Data(try Zstd.compress(LatencyBatchCodec.encode(samples)))])
                }
            }
            chain = next
        }
        self.queue.withLock {
            $0.counters.writesTotal += 1
            $0.counters.lastWriteSeconds = self.now()
        }
    }

    private static func write(_ step: SweepDetection.Step, encoder: JSONEncoder, db: Database) throws {
        for verdict in step.verdicts {
            try db.execute(sql: "INSERT INTO verdicts (end_seconds, grp, verdict) VALUES (?, ?, ?)",
                           arguments: [step.endSeconds, verdict.group, String(decoding: try encoder.encode(verdict), as: UTF8.self)])
        }
        func openEpisode(_ finding: Finding) throws -> Int64? {
            try Int64.fetchOne(db, sql: """
                SELECT id FROM episodes WHERE grp = ? AND server IS ? AND kind = ? AND resolved_at IS NULL ORDER BY id DESC LIMIT 1
                """, arguments: [finding.group, finding.server, finding.kind.rawValue])
        }
        func event(_ change: String, _ finding: Finding, episode: Int64) throws {
            try db.execute(sql: "INSERT INTO finding_events (at_seconds, change, episode_id, finding) VALUES (?, ?, ?, ?)",
                           arguments: [step.endSeconds, change, episode, String(decoding: try encoder.encode(finding), as: UTF8.self)])
        }
        for finding in step.changes.opened {
            let json = String(decoding: try encoder.encode(finding), as: UTF8.self)
            try db.execute(sql: "INSERT INTO episodes (grp, server, kind, opened_at, finding) VALUES (?, ?, ?, ?, ?)",
                           arguments: [finding.group, finding.server, finding.kind.rawValue, step.endSeconds, json])
            try event("opened", finding, episode: db.lastInsertedRowID)
        }
        for finding in step.changes.changed {
            guard let id = try openEpisode(finding) else { continue }
            try db.execute(sql: "UPDATE episodes SET finding = ? WHERE id = ?",
                           arguments: [String(decoding: try encoder.encode(finding), as: UTF8.self), id])
            try event("changed", finding, episode: id)
        }
        for finding in step.changes.resolved {
            guard let id = try openEpisode(finding) else { continue }
            try db.execute(sql: "UPDATE episodes SET resolved_at = ?, finding = ? WHERE id = ?",
                           arguments: [step.endSeconds, String(decoding: try encoder.encode(finding), as: UTF8.self), id])
            try event("resolved", finding, episode: id)
        }
    }
}
