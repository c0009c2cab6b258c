import Detectors
import Foundation
import GRDB

/// Range queries over the history file, for replay, reports and the status page. Reads run beside the writer
/// (WAL), never blocking it.
struct HistoryReader: Sendable {
    let database: HistoryDatabase

    private static var decoder: JSONDecoder { StoredJSON.decoder }

    /// Sweeps taken in `[from, to]`, in the order they were written.
    ///
    /// - Parameter spacingSeconds: keep only sweeps at least this far apart (charts of a long range); every frame is
    ///   still decoded, since each is coded against the one before, but only the kept ones are parsed.
    func sweeps(from: Double, to: Double, spacingSeconds: Double = 0) throws -> [Sweep] {
        try self.database.pool.read { db in
            guard let first = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM sweeps WHERE at_seconds >= ? AND at_seconds <= ?",
                                                 arguments: [from, to]),
                  let last = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM sweeps WHERE at_seconds >= ? AND at_seconds <= ?",
                                                arguments: [from, to])
            else { return [] }
            return try Self.sweeps(db, seq: first...last, from: from, to: to, spacingSeconds: spacingSeconds).map { $0.sweep }
        }
    }

    /// Sweeps by their place in the history (`seq`, the order they were written), with it: the order replay needs,
    /// since after a wall clock stepped back the times repeat.
    func sweeps(seq: ClosedRange<Int64>) throws -> [(seq: Int64, sweep: Sweep)] {
        try self.database.pool.read { db in try Self.sweeps(db, seq: seq, from: -.infinity, to: .infinity, spacingSeconds: 0) }
    }

    /// The first sweep written after `seq` and stamped at or after `seconds`; `nil` when none.
    func sweepSeq(after seq: Int64, atOrAfterSeconds seconds: Double) throws -> Int64? {
        try self.database.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT min(seq) FROM sweeps WHERE seq > ? AND at_seconds >= ?", arguments: [seq, seconds])
        }
    }

    /// First and last `seq`, and the earliest and latest time, of the sweeps in `seq`; `nil` when none.
    func sweepSpan(seq: ClosedRange<Int64>) throws -> (first: Int64, last: Int64, earliest: Double, latest: Double)? {
        try self.database.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                    SELECT min(seq) AS first, max(seq) AS last, min(at_seconds) AS earliest, max(at_seconds) AS latest
                    FROM sweeps WHERE seq >= ? AND seq <= ?
                    """, arguments: [seq.lowerBound, seq.upperBound]),
                  let first = row["first"] as Int64?, let last = row["last"] as Int64?,
                  let earliest = row["earliest"] as Double?, let latest = row["latest"] as Double? else { return nil }
            return (first, last, earliest, latest)
        }
    }

    private static func sweeps(_ db: Database, seq range: ClosedRange<Int64>, from: Double, to: Double,
                               spacingSeconds: Double) throws -> [(seq: Int64, sweep: Sweep)] {
        let first = range.lowerBound, last = range.upperBound
        // The first frame in range may be coded against earlier ones: start at the keyframe before it.
        let start = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM sweeps WHERE keyframe = 1 AND seq <= ?", arguments: [first]) ?? first
        var templates: [Int64: [UInt8]] = [:]
        var previous: [SweepFrameCodec.Number]?
        var sweeps: [(seq: Int64, sweep: Sweep)] = []
        let decoder = Self.decoder
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, at_seconds, template_id, keyframe, frame FROM sweeps WHERE seq >= ? AND seq <= ? ORDER BY seq",
                                       arguments: [start, last])
        while let row = try rows.next() {
            let templateID: Int64 = row["template_id"]
            if templates[templateID] == nil {
                guard let bytes = try Data.fetchOne(db, sql: "SELECT bytes FROM sweep_templates WHERE id = ?", arguments: [templateID]) else {
                    throw SweepFrameCodec.CodecError(message: "template \(templateID) of sweep \(row["seq"] as Int64) is missing")
                }
                templates[templateID] = try Zstd.decompress(Array(bytes))
            }
            let keyframe: Bool = row["keyframe"]
            let frame = try Zstd.decompress(Array(row["frame"] as Data))
            let numbers = try SweepFrameCodec.decodeFrame(frame, previous: keyframe ? nil : previous)
            previous = numbers
            let at: Double = row["at_seconds"], seq: Int64 = row["seq"]
            guard at >= from && at <= to && seq >= first else { continue }
            if spacingSeconds > 0, let kept = sweeps.last?.sweep.atSeconds, at - kept < spacingSeconds, at >= kept { continue }
            let json = try SweepFrameCodec.join(template: templates[templateID]!, numbers: numbers)
            sweeps.append((seq, try decoder.decode(Sweep.self, from: Data(json))))
        }
        return sweeps
    }

    /// Latency samples that arrived in `[from, to]`, in arrival order.
    func samples(from: Double, to: Double) throws -> [LatencySample] {
        let blobs = try self.database.pool.read { db in
            try Data.fetchAll(db, sql: "SELECT samples FROM latency_batches WHERE last_recorded >= ? AND first_recorded <= ? ORDER BY id",
                              arguments: [from, to])
        }
        var samples: [LatencySample] = []
        for blob in blobs {
            samples += try LatencyBatchCodec.decode(Zstd.decompress(Array(blob)))
                .filter { $0.arrivalSeconds >= from && $0.arrivalSeconds <= to }
        }
        return samples
    }

    /// Latency batches in the order they were written (the order the samples were stamped), from the first whose
    /// id is above `id`: at most `limit` of them, each with its id.
    func sampleBatches(afterID id: Int64, limit: Int) throws -> [(id: Int64, samples: [LatencySample])] {
        let rows = try self.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, samples FROM latency_batches WHERE id > ? ORDER BY id LIMIT ?", arguments: [id, limit])
                .map { ($0["id"] as Int64, $0["samples"] as Data) }
        }
        return try rows.map { ($0.0, try LatencyBatchCodec.decode(Zstd.decompress(Array($0.1)))) }
    }

    /// The last batch written before the first that holds a sample stamped at or after `seconds`, after `id`.
    func sampleBatchID(before seconds: Double, after id: Int64) throws -> Int64 {
        try self.database.pool.read { db in
            let first = try Int64.fetchOne(db, sql: "SELECT min(id) FROM latency_batches WHERE id > ? AND last_recorded >= ?",
                                           arguments: [id, seconds])
            if let first { return first - 1 }
            return try Int64.fetchOne(db, sql: "SELECT max(id) FROM latency_batches") ?? id
        }
    }

    /// Episodes that overlap `[from, to]` (all when no range), newest first.
    func episodes(from: Double = -.infinity, to: Double = .infinity, group: String? = nil) throws -> [Episode] {
        try self.database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, grp, server, kind, opened_at, resolved_at, finding FROM episodes
                WHERE opened_at <= ? AND (resolved_at IS NULL OR resolved_at >= ?) AND (? IS NULL OR grp = ?)
                ORDER BY opened_at DESC, id DESC
                """, arguments: [to, from, group, group]).map(Self.episode)
        }
    }

    func episode(id: Int64) throws -> Episode? {
        try self.database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, grp, server, kind, opened_at, resolved_at, finding FROM episodes WHERE id = ?",
                             arguments: [id]).map(Self.episode)
        }
    }

    private static func episode(_ row: Row) throws -> Episode {
        let finding = try Self.decoder.decode(Finding.self, from: Data((row["finding"] as String).utf8))
        return Episode(id: row["id"], group: row["grp"], server: row["server"], kind: finding.kind, openedAtSeconds: row["opened_at"],
                       resolvedAtSeconds: row["resolved_at"], finding: finding)
    }

    /// Finding events in `[from, to]`, oldest first.
    func events(from: Double, to: Double) throws -> [FindingEvent] {
        try self.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at_seconds, change, episode_id, finding FROM finding_events WHERE at_seconds >= ? AND at_seconds <= ? ORDER BY id",
                             arguments: [from, to]).map { row in
                FindingEvent(atSeconds: row["at_seconds"], change: FindingEvent.Change(rawValue: row["change"]) ?? .changed,
                             episodeID: row["episode_id"],
                             finding: try Self.decoder.decode(Finding.self, from: Data((row["finding"] as String).utf8)))
            }
        }
    }

    /// Alert transitions in `[from, to]`, oldest first.
    func alertTransitions(from: Double, to: Double) throws -> [AlertLifecycle.Transition] {
        try self.database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT transition FROM alert_events WHERE at_seconds >= ? AND at_seconds <= ? ORDER BY id",
                                arguments: [from, to]).map { try Self.decoder.decode(AlertLifecycle.Transition.self, from: Data($0.utf8)) }
        }
    }

    /// The group's window verdicts that ended in `[from, to]`, oldest first (all groups when `group` is nil).
    func verdicts(group: String?, from: Double, to: Double) throws -> [GroupVerdict] {
        try self.database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT verdict FROM verdicts WHERE end_seconds >= ? AND end_seconds <= ? AND (? IS NULL OR grp = ?) ORDER BY id",
                                arguments: [from, to, group, group]).map { try Self.decoder.decode(GroupVerdict.self, from: Data($0.utf8)) }
        }
    }

    /// Every recorded run, oldest first.
    func runs() throws -> [DetectionRun] {
        try self.database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT run FROM runs ORDER BY id").map { try Self.decoder.decode(DetectionRun.self, from: Data($0.utf8)) }
        }
    }

    /// A document kept with ``HistoryWriter/Item/state(key:value:atSeconds:)``.
    func state<T: Decodable>(_ type: T.Type, key: String) throws -> T? {
        let text = try self.database.pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM state WHERE key = ?", arguments: [key]) }
        return try text.map { try Self.decoder.decode(T.self, from: Data($0.utf8)) }
    }

    /// First and last sweep times; `nil` for an empty history.
    func sweepTimeRange() throws -> (first: Double, last: Double)? {
        try self.database.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(at_seconds) AS first, max(at_seconds) AS last FROM sweeps"),
                  let first = row["first"] as Double?, let last = row["last"] as Double? else { return nil }
            return (first, last)
        }
    }
}
