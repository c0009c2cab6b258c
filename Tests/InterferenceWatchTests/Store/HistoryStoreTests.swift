import Detectors
import Foundation
import GRDB
import Logging
import Synchronization
import TestKit
import Testing

@testable import InterferenceWatch

/// The history file on a real SQLite file: frames read back exactly, retention keeps chains readable, files that
/// are not ours are refused untouched, and an older schema migrates.
@Suite(.serialized)
struct HistoryStoreTests {
    /// A run of `count` sweeps of `workloads` workloads at 1 s, counters moving like a busy host's.
    static func sweeps(_ count: Int, workloads: Int = 5, seed: UInt64 = 1, start: Double = 1_767_225_600) -> [Sweep] {
        var rng = TestRandom(seed: seed)
        var faults = [UInt64](repeating: 1_000, count: workloads)
        return (0..<count).map { index in
            let host = HostSample(meminfoBytes: ["MemTotal": 8 << 30, "MemAvailable": UInt64(1 << 30) + rng.next() % 4096],
                                  vmstat: ["pswpin": UInt64(index) * 3, "pgmajfault": UInt64(index) * 7],
                                  pressure: [.memory: PSIStats(some: PSILine(avg10Percent: rng.uniform(0...2).rounded() / 100 * 100,
                                                                              avg60Percent: 0.25, avg300Percent: 0,
                                                                              totalMicroseconds: UInt64(index) * 1000), full: nil)])
            let samples = (0..<workloads).map { w -> WorkloadSample in
                faults[w] += rng.next() % 50
                return WorkloadSample(name: "w\(w)", kind: .container, cgroup: "/docker/w\(w)", cgroupVersion: 2,
                                      usageBytes: (100 << 20) + rng.next() % 100_000, limitBytes: w == 0 ? UInt64.max - 1 : nil,
                                      stat: [.pgmajfault: faults[w], .anon: 50 << 20, .file: 10 << 20], events: ["oom_kill": 0])
            }
            return Sweep(atSeconds: start + Double(index), uptimeSeconds: 5000 + Double(index), host: host, workloads: samples,
                         vms: [VMSample(name: "vm1", source: .qmp, up: true, configuredBytes: 1 << 30, balloonActualBytes: 768 << 20)],
                         vmWorkloads: ["vm1": "w1"])
        }
    }

    static func writer(_ database: HistoryDatabase, retention: HistoryRetention = .init(maxAgeSeconds: 1e12)) -> HistoryWriter {
        HistoryWriter(database: database, retention: retention, logger: Logger(label: "t"))
    }

    @Test func codecKeepsEveryNumberExact() throws {
        let json = Array(#"{"a":18446744073709551615,"b":-9223372036854775808,"c":1.53,"d":"x\"1\u0001","e":[0,1e3,-0.0,007]}"#.utf8)
        let (template, numbers) = SweepFrameCodec.split(json)
        #expect(!template.contains(UInt8(ascii: "5")))
        #expect(try SweepFrameCodec.join(template: template, numbers: numbers) == json)
        let moved = numbers.map { n -> SweepFrameCodec.Number in if case .unsigned(let v) = n { return .unsigned(v &+ 3) } else { return n } }
        let frame = SweepFrameCodec.encodeFrame(moved, previous: numbers)
        #expect(try SweepFrameCodec.decodeFrame(frame, previous: numbers) == moved)
        #expect(throws: SweepFrameCodec.CodecError.self) { try SweepFrameCodec.decodeFrame(frame, previous: nil) }
        #expect(throws: SweepFrameCodec.CodecError.self) { try SweepFrameCodec.decodeFrame([0xff, 0xff], previous: nil) }
    }

    @Test func sweepsSamplesAndEpisodesReadBackAsWritten() throws {
        let tree = try TemporaryTree()
        let database = try HistoryDatabase(directory: tree.root)
        let writer = Self.writer(database)
        let sweeps = Self.sweeps(700)  // crosses two keyframes
        for sweep in sweeps { writer.enqueue(.sweep(sweep)) }
        let samples = (0..<50).map { LatencySample(group: "g", server: "s\($0 % 4)", source: .probe, seconds: 1, atSeconds: 1_767_225_600 + Double($0),
                                                   recordedAtSeconds: 1_767_225_600.5 + Double($0)) }
        writer.enqueue(.samples(Array(samples[0..<20])))
        writer.enqueue(.samples(Array(samples[20...])))
        let finding = Finding(server: "s2", group: "g", kind: .imbalance, ratio: 1.8, sinceSeconds: 1_767_225_610, causes: [])
        let verdict = GroupVerdict(group: "g", startSeconds: 0, endSeconds: 1_767_225_630, servers: [], imbalanceRatio: 1.8,
                                   fairnessIndex: 0.9, coefficientOfVariation: 0.3, groupSlowdownRatio: nil, findings: [finding])
        writer.enqueue(.step(.init(startSeconds: 1_767_225_620, endSeconds: 1_767_225_630, verdicts: [verdict],
                                   changes: FindingChanges(opened: [finding]))))
        writer.enqueue(.step(.init(startSeconds: 1_767_225_630, endSeconds: 1_767_225_640, verdicts: [],
                                   changes: FindingChanges(resolved: [finding]))))
        try writer.flushNow()

        let reader = HistoryReader(database: database)
        #expect(try reader.sweeps(from: 0, to: .infinity) == sweeps)
        #expect(try reader.sweeps(from: 1_767_225_600 + 450, to: 1_767_225_600 + 460) == Array(sweeps[450...460]))
        #expect(try reader.samples(from: 0, to: .infinity) == samples)
        #expect(try reader.samples(from: 1_767_225_610, to: 1_767_225_612).count == 2)
        let episode = try #require(try reader.episodes().first)
        #expect(episode.server == "s2" && episode.openedAtSeconds == 1_767_225_630 && episode.resolvedAtSeconds == 1_767_225_640)
        #expect(try reader.events(from: 0, to: .infinity).map(\.change) == [.opened, .resolved])
        #expect(try reader.verdicts(group: "g", from: 0, to: .infinity) == [verdict])

        // Compact: bytes per stored number. These sweeps move six values at random every second, far noisier than a
        // host; `bench-store` measures the goal (at most 2 bytes a value over a day) on a realistic day.
        let values = sweeps.map { SweepFrameCodec.split(SweepJSONWriter.encode($0)).numbers.count }.reduce(0, +)
        let frameBytes = try database.pool.read { db in try Int.fetchOne(db, sql: "SELECT sum(length(frame)) FROM sweeps") ?? 0 }
        print("history: \(sweeps.count) sweeps, \(values) values, \(frameBytes) frame bytes: \(Double(frameBytes) / Double(values)) B/value")
        #expect(Double(frameBytes) / Double(values) < 3)
    }

    @Test func retentionDropsWholeRangesAndKeepsTheChainReadable() throws {
        let tree = try TemporaryTree()
        let database = try HistoryDatabase(directory: tree.root)
        let writer = Self.writer(database)
        let sweeps = Self.sweeps(3000, workloads: 20)
        for sweep in sweeps { writer.enqueue(.sweep(sweep)) }
        try writer.flushNow()
        let reader = HistoryReader(database: database)
        let cutoff = sweeps[650].atSeconds
        let deleted = try HistoryRetention(maxAgeSeconds: 0).delete(before: cutoff, in: database)
        #expect(deleted > 0)
        let kept = try reader.sweeps(from: 0, to: .infinity)
        // Up to the keyframe before the cutoff goes; everything from the cutoff on is still readable.
        #expect(kept.first!.atSeconds <= cutoff)
        #expect(kept.first!.atSeconds > sweeps[0].atSeconds)
        #expect(Array(kept.suffix(2350)) == Array(sweeps[650...]))

        // A size cap drops the oldest hours until the file fits, and the space goes back to the file system.
        #expect(try database.pool.read { try Int.fetchOne($0, sql: "PRAGMA auto_vacuum") } == 2)  // incremental
        let before = database.sizeBytes()
        let capped = HistoryRetention(maxAgeSeconds: 1e12, maxBytes: before / 2, sizeStepSeconds: 100)
        _ = try capped.apply(to: database, nowSeconds: sweeps.last!.atSeconds)
        #expect(database.sizeBytes() <= before / 2, "\(database.sizeBytes()) of \(before)")
        let rest = try reader.sweeps(from: 0, to: .infinity)
        #expect(!rest.isEmpty && rest.last == sweeps.last)
    }

    @Test(arguments: ["corrupt", "foreign"])
    func aFileThatIsNotOursIsRefusedAndLeftUntouched(kind: String) throws {
        let tree = try TemporaryTree()
        let path = tree.root + "/" + HistoryDatabase.fileName
        if kind == "corrupt" {
            // A real history file with its middle overwritten.
            do {
                let database = try HistoryDatabase(directory: tree.root)
                let writer = Self.writer(database)
                for sweep in Self.sweeps(300, workloads: 20) { writer.enqueue(.sweep(sweep)) }
                try writer.flushNow()
                try database.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
                try database.pool.close()
            }
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for index in 4096..<min(bytes.count, 4096 * 6) { bytes[index] = 0xA5 }
            try bytes.write(to: URL(fileURLWithPath: path))
        } else {
            let queue = try DatabaseQueue(path: path)
            try queue.write { try $0.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (9.5)") }
            try queue.close()
        }
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            _ = try HistoryDatabase(directory: tree.root)
        } throws: { error in
            let message = "\(error)"
            return message.contains(path) && message.contains("left untouched")
                && (kind == "foreign" ? message.contains("another program") : (message.contains("damaged") || message.contains("not a readable")))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
    }

    @Test func aFileOfThePreviousSchemaMigrates() throws {
        let tree = try TemporaryTree()
        let path = tree.root + "/" + HistoryDatabase.fileName
        // The first schema step only, with a run in it, as the first released version left its files.
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                try db.execute(sql: "PRAGMA application_id = \(HistoryDatabase.applicationID)")
            }
            try HistoryDatabase.migrator.migrate(queue, upTo: "v1")
            try queue.write { try $0.execute(sql: #"INSERT INTO runs (started_at, run) VALUES (5, '{"schema":1,"startedAtSeconds":5,"windowSeconds":30}')"#) }
            try queue.close()
        }
        let database = try HistoryDatabase(directory: tree.root)
        let applied = try database.pool.read { try HistoryDatabase.migrator.appliedIdentifiers($0) }
        #expect(applied == Set(HistoryDatabase.migrator.migrations))
        #expect(try HistoryReader(database: database).runs().map(\.windowSeconds) == [30])
        #expect(try HistoryReader(database: database).verdicts(group: nil, from: 0, to: .infinity).isEmpty)
    }

    @Test func aFileFromANewerVersionIsRefused() throws {
        let tree = try TemporaryTree()
        do {
            let database = try HistoryDatabase(directory: tree.root)
            try database.pool.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')") }
            try database.pool.close()
        }
        #expect {
            _ = try HistoryDatabase(directory: tree.root)
        } throws: { "\($0)".contains("newer version") }
    }
}

/// The history writer's own JSON for sweeps must read back through the Codable types, field for field.
struct SweepJSONWriterTests {
    @Test func itsJSONDecodesToTheSameSweep() throws {
        var sweeps = HistoryStoreTests.sweeps(20, workloads: 8, seed: 99)
        // Every optional filled somewhere, odd strings, fractions, extremes.
        sweeps[3].workloads[0].highBytes = 123
        sweeps[3].workloads[0].pressure = PSIStats(some: PSILine(avg10Percent: 0.01, avg60Percent: 1e-5, avg300Percent: 99.99,
                                                                 totalMicroseconds: .max), full: PSILine(avg10Percent: 0, avg60Percent: 0, avg300Percent: 0, totalMicroseconds: 0))
        sweeps[3].workloads[1].name = "we\"ird\\name\u{1}\n\t/é"
        sweeps[3].vms = [VMSample(name: "full", source: .libvirt, up: false, status: "paused", configuredBytes: 1, balloonActualBytes: 2,
                                  balloonTargetBytes: 3, maximumBytes: 4,
                                  guestStats: .init(freeBytes: 5, availableBytes: 6, totalBytes: 7, diskCachesBytes: 8, swapInBytes: 9,
                                                    swapOutBytes: 10, majorFaults: 11, minorFaults: 12, lastUpdateSeconds: 13),
                                  rssBytes: 14, eventCounts: ["STOP": 1, "BALLOON_CHANGE": 2], balloonChanges: 2,
                                  lastBalloonChangeSeconds: 1_767_225_600.123, lastBalloonChangeActualBytes: 15, pid: -1,
                                  collectedAtSeconds: 0.5, readDurationSeconds: 3e-6, error: "virsh: \"timed out\"")]
        sweeps[4].atSeconds = -2.5
        for sweep in sweeps {
            let json = SweepJSONWriter.encode(sweep)
            #expect(try JSONDecoder().decode(Sweep.self, from: Data(json)) == sweep)
            // The fused path gives what splitting the text gives.
            let fused = SweepJSONWriter.split(sweep), parsed = SweepFrameCodec.split(json)
            #expect(fused.template == parsed.template && fused.numbers == parsed.numbers)
        }
    }
}

struct LatencyBatchCodecTests {
    @Test func everyFieldReadsBackExactly() throws {
        let samples = [
            LatencySample(group: "g", server: "s1", source: .probe, seconds: 1.25, serverSeconds: 1.1, atSeconds: 1_767_225_601.123456,
                          recordedAtSeconds: 1_767_225_602.3),
            LatencySample(group: "g", server: "s2", source: .scrape, seconds: 0, outcome: .timeout, atSeconds: -1),
            LatencySample(group: "h\u{1}é", server: "s1", source: .push, seconds: .leastNonzeroMagnitude, outcome: .error("status 500"),
                          atSeconds: 0, recordedAtSeconds: 5),
        ]
        let bytes = LatencyBatchCodec.encode(samples)
        #expect(try LatencyBatchCodec.decode(bytes) == samples)
        #expect(try LatencyBatchCodec.decode(LatencyBatchCodec.encode([])) == [])
        #expect(throws: LatencyBatchCodec.CodecError.self) { try LatencyBatchCodec.decode(Array(bytes.dropLast(3))) }
        #expect(throws: LatencyBatchCodec.CodecError.self) { try LatencyBatchCodec.decode([9]) }
    }
}
