import Detectors
import Foundation
import GRDB

/// Keeps the history file bounded: drops whole time ranges older than `maxAgeSeconds` (by the time that passed: a
/// wall clock stepped forward does not age what was stored before it), and the oldest hours while
/// the file is over `maxBytes`, then hands the freed pages back to the file system (incremental vacuum, WAL
/// truncation) instead of leaving them marked free.
struct HistoryRetention: Sendable {
    var maxAgeSeconds: Double
    /// `nil`: no size cap.
    var maxBytes: Int64?
    var checkIntervalSeconds: Double = 60
    /// What a size-driven pass drops at a time.
    var sizeStepSeconds: Double = 3600

    /// - Parameter forwardSteps: steps forward of the wall clock that rows were written across: a row from before
    ///   one is that much younger than the wall clock makes it (``ForwardClockSteps/cutoff(ageSeconds:nowSeconds:)``).
    /// - Returns: rows deleted.
    func apply(to database: HistoryDatabase, nowSeconds: Double, forwardSteps: ForwardClockSteps = .init()) throws -> Int {
        var deleted = try self.delete(before: forwardSteps.cutoff(ageSeconds: self.maxAgeSeconds, nowSeconds: nowSeconds), in: database)
        if let maxBytes = self.maxBytes {
            for _ in 0..<1000 where database.sizeBytes() > maxBytes {
                // The oldest step, but at least up to the second keyframe: frames go a keyframe interval at a time.
                guard let cutoff = try database.pool.read({ db -> Double? in
                    guard let oldest = try Double.fetchOne(db, sql: "SELECT min(at_seconds) FROM sweeps") else { return nil }
                    let secondKeyframe = try Double.fetchOne(db, sql: """
                        SELECT at_seconds FROM sweeps WHERE keyframe = 1 AND seq > (SELECT min(seq) FROM sweeps) ORDER BY seq LIMIT 1
                        """)
                    return max(oldest + self.sizeStepSeconds, secondKeyframe ?? oldest)
                }) else { break }
                let removed = try self.delete(before: cutoff, in: database)
                deleted += removed
                if removed == 0 { break }
            }
        }
        return deleted
    }

    /// Deletes everything before `cutoff`, keeping the sweep chain readable: sweeps go up to the last keyframe at or
    /// before the cutoff, so every kept frame still has its keyframe.
    @discardableResult
    func delete(before cutoff: Double, in database: HistoryDatabase) throws -> Int {
        let deleted = try database.pool.write { db -> Int in
            var count = 0
            if let boundary = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM sweeps WHERE keyframe = 1 AND at_seconds <= ?",
                                                 arguments: [cutoff]) {
                try db.execute(sql: "DELETE FROM sweeps WHERE seq < ?", arguments: [boundary])
                count += db.changesCount
            }
            try db.execute(sql: "DELETE FROM sweep_templates WHERE id NOT IN (SELECT DISTINCT template_id FROM sweeps)")
            try db.execute(sql: "DELETE FROM latency_batches WHERE last_recorded < ?", arguments: [cutoff])
            count += db.changesCount
            try db.execute(sql: "DELETE FROM verdicts WHERE end_seconds < ?", arguments: [cutoff])
            count += db.changesCount
            try db.execute(sql: "DELETE FROM finding_events WHERE at_seconds < ?", arguments: [cutoff])
            count += db.changesCount
            try db.execute(sql: "DELETE FROM alert_events WHERE at_seconds < ?", arguments: [cutoff])
            count += db.changesCount
            try db.execute(sql: "DELETE FROM episodes WHERE resolved_at IS NOT NULL AND resolved_at < ?", arguments: [cutoff])
            count += db.changesCount
            return count
        }
        if deleted > 0 {
            try database.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA incremental_vacuum")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
        return deleted
    }
}
