import Foundation
import GRDB

/// Tells whether the previous run of the daemon on this history stopped cleanly.
///
/// A run leaves a marker in the store's small state (`state` row ``key``) as it starts and removes it once it has
/// written everything queued at shutdown. A marker found at start means the previous run did not get there: it was
/// killed (`kill -9`, the OOM killer), crashed, lost power, or could not write its last items. SQLite's WAL keeps
/// every commit of that run whole; what it had queued since its last commit (at most a flush interval) is gone.
final class ShutdownMarker: Sendable {
    static let key = "daemon.running"

    /// The run that did not stop cleanly, as the store knows it.
    struct UncleanStop: Sendable, Equatable {
        /// When that run started (Unix seconds), from its marker.
        var startedAtSeconds: Double?
        /// The newest sweep it stored; `nil` when it stored none.
        var lastSweepSeconds: Double?
    }

    private struct Marker: Codable {
        var startedAtSeconds: Double
        var pid: Int32
    }

    let database: HistoryDatabase
    /// Set when this run started after one that did not stop cleanly.
    let uncleanStop: UncleanStop?

    /// Reads the previous run's marker and leaves this run's.
    ///
    /// - Throws: when the store cannot be read or written (the daemon runs on without the check then).
    init(database: HistoryDatabase, startedAtSeconds: Double, pid: Int32 = getpid()) throws {
        self.database = database
        let value = String(decoding: try JSONEncoder().encode(Marker(startedAtSeconds: startedAtSeconds, pid: pid)), as: UTF8.self)
        self.uncleanStop = try database.pool.write { db -> UncleanStop? in
            let previous = try String.fetchOne(db, sql: "SELECT value FROM state WHERE key = ?", arguments: [Self.key])
            try db.execute(sql: "INSERT OR REPLACE INTO state (key, value, updated_at) VALUES (?, ?, ?)",
                           arguments: [Self.key, value, startedAtSeconds])
            guard let previous else { return nil }
            let marker = try? JSONDecoder().decode(Marker.self, from: Data(previous.utf8))
            return UncleanStop(startedAtSeconds: marker?.startedAtSeconds,
                               lastSweepSeconds: try Double.fetchOne(db, sql: "SELECT at_seconds FROM sweeps ORDER BY seq DESC LIMIT 1"))
        }
    }

    /// Removes this run's marker: everything it queued is written. Call only after the writer drained its queue.
    func markStopped() throws {
        try self.database.pool.write { db in
            try db.execute(sql: "DELETE FROM state WHERE key = ?", arguments: [Self.key])
        }
    }
}
