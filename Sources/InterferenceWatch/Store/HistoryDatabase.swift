import Detectors
import Foundation
import GRDB

/// The history file: SQLite in WAL mode at `<storage.path>/history.sqlite`, through GRDB.
///
/// What it keeps, raw so a later version replays it through better detectors: sweeps (zstd frames of
/// ``SweepFrameCodec``, one row per sweep), latency samples (a zstd ``LatencyBatchCodec`` batch per write), finding lifecycle events
/// and episodes, each detection
/// window's verdicts, the runs of the daemon (when each started, with its groups and learned baselines, so replay
/// can start where the live engine did), small state (the advisor's history, the baselines) and the steps forward of
/// the wall clock that retention allows for.
///
/// Safe to open: a file that is not SQLite, is damaged, or is another program's database is refused with an error
/// naming it, before anything is written to it. Schema changes are GRDB migrations; a file with a migration this
/// build does not know was written by a newer version and is refused the same way.
final class HistoryDatabase: Sendable {
    /// `PRAGMA application_id` of our files ("IWH1"), so another program's SQLite file is never taken for ours.
    static let applicationID: Int32 = 0x4957_4831
    static let fileName = "history.sqlite"

    struct OpenError: Error, CustomStringConvertible {
        var path: String
        var reason: String
        /// Whether a file is there that we refused (and left as it was).
        var refusedFile = true
        var description: String {
            self.refusedFile
                ? "\(self.path): \(self.reason); it was left untouched (move it aside or choose another --storage.path)"
                : "\(self.path): \(self.reason)"
        }
    }

    let path: String
    let pool: DatabasePool

    /// Opens (or creates) the history file in `directory` and brings its schema up to date.
    ///
    /// - Parameter create: `false` for the tools that read history (`replay`, `report`): a missing file is an
    ///   error then, not a new empty history.
    /// - Throws: ``OpenError`` for a file that is not ours, damaged, newer, or in a directory we cannot write.
    init(directory: String, create: Bool = true) throws {
        let path = directory + "/" + Self.fileName
        self.path = path
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw OpenError(path: path, reason: "no history here (the daemon writes it under its --storage.path)", refusedFile: false)
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OpenError(path: directory, reason: "cannot create the storage directory (\(error.localizedDescription))",
                            refusedFile: false)
        }
        try Self.check(path: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // One writer and two readers (reports, the status page): each connection has its own page cache.
        configuration.maximumReaderCount = 2
        configuration.prepareDatabase { db in
            // NORMAL is durable against a crash of the process (WAL), which is what kill -9 is.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A small page cache per connection: writes append, reads stream; the daemon's memory stays flat.
            try db.execute(sql: "PRAGMA cache_size = -1024")
        }
        do {
            self.pool = try DatabasePool(path: path, configuration: configuration)
            try self.pool.barrierWriteWithoutTransaction { db in
                if try Int32.fetchOne(db, sql: "PRAGMA application_id") != Self.applicationID {
                    // A new file: freed pages go back to the file system on vacuum, and the file is marked as ours.
                    try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                    try db.execute(sql: "VACUUM")
                    try db.execute(sql: "PRAGMA application_id = \(Self.applicationID)")
                }
            }
            let migrator = Self.migrator
            let unknown = try self.pool.read { db in try migrator.appliedIdentifiers(db).subtracting(migrator.migrations) }
            guard unknown.isEmpty else {
                throw OpenError(path: path, reason: "written by a newer version (schema steps \(unknown.sorted().joined(separator: ", ")))")
            }
            try migrator.migrate(self.pool)
        } catch let error as OpenError {
            throw error
        } catch {
            throw OpenError(path: path, reason: "cannot open the history file (\(error))")
        }
    }

    /// Refuses a file that is not an SQLite database, is damaged, or belongs to another program, reading it only.
    private static func check(path: String) throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber, size.intValue > 0 else { return }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let (applicationID, tables, integrity) = try queue.read { db in
                (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
                 try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"),
                 try String.fetchAll(db, sql: "PRAGMA quick_check"))
            }
            try queue.close()
            if applicationID != Self.applicationID && !tables.isEmpty {
                throw OpenError(path: path, reason: "is an SQLite database of another program (tables \(tables.prefix(5).joined(separator: ", ")))")
            }
            guard integrity == ["ok"] else {
                throw OpenError(path: path, reason: "is damaged (\(integrity.prefix(3).joined(separator: "; ")))")
            }
        } catch let error as OpenError {
            throw error
        } catch {
            throw OpenError(path: path, reason: "is not a readable SQLite database (\(error))")
        }
    }

    /// The schema, step by step. Never edit a shipped step: add one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE sweep_templates (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
                CREATE TABLE sweeps (seq INTEGER PRIMARY KEY, at_seconds REAL NOT NULL, template_id INTEGER NOT NULL,
                                     keyframe INTEGER NOT NULL, frame BLOB NOT NULL);
                CREATE INDEX sweeps_at ON sweeps(at_seconds);
                CREATE TABLE latency_batches (id INTEGER PRIMARY KEY, first_recorded REAL NOT NULL,
                                              last_recorded REAL NOT NULL, count INTEGER NOT NULL, samples BLOB NOT NULL);
                CREATE INDEX latency_batches_last ON latency_batches(last_recorded);
                CREATE TABLE episodes (id INTEGER PRIMARY KEY, grp TEXT NOT NULL, server TEXT, kind TEXT NOT NULL,
                                       opened_at REAL NOT NULL, resolved_at REAL, finding TEXT NOT NULL);
                CREATE TABLE finding_events (id INTEGER PRIMARY KEY, at_seconds REAL NOT NULL, change TEXT NOT NULL,
                                             episode_id INTEGER NOT NULL, finding TEXT NOT NULL);
                CREATE INDEX finding_events_at ON finding_events(at_seconds);
                CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at REAL NOT NULL, run TEXT NOT NULL);
                CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);
                """)
        }
        migrator.registerMigration("v2: window verdicts") { db in
            try db.execute(sql: """
                CREATE TABLE verdicts (id INTEGER PRIMARY KEY, end_seconds REAL NOT NULL, grp TEXT NOT NULL, verdict TEXT NOT NULL);
                CREATE INDEX verdicts_end ON verdicts(grp, end_seconds);
                """)
        }
        migrator.registerMigration("v3: alert transitions") { db in
            try db.execute(sql: """
                CREATE TABLE alert_events (id INTEGER PRIMARY KEY, at_seconds REAL NOT NULL, transition TEXT NOT NULL);
                CREATE INDEX alert_events_at ON alert_events(at_seconds);
                """)
        }
        migrator.registerMigration("v4: clock steps") { db in
            // The steps forward of the wall clock that kept rows were written across (``ForwardClockSteps``), so
            // retention measures ages in time that passed in this run and after a restart.
            try db.execute(sql: """
                CREATE TABLE clock_steps (id INTEGER PRIMARY KEY, at_seconds REAL NOT NULL, step_seconds REAL NOT NULL);
                """)
        }
        return migrator
    }

    /// Size of the file in bytes (pages in use and free), plus the WAL.
    func sizeBytes() -> Int64 {
        let main = (try? FileManager.default.attributesOfItem(atPath: self.path)[.size] as? NSNumber)?.int64Value ?? 0
        let wal = (try? FileManager.default.attributesOfItem(atPath: self.path + "-wal")[.size] as? NSNumber)?.int64Value ?? 0
        return main + wal
    }
}
