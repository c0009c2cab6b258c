import Detectors
import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import TestKit
import Testing

@testable import InterferenceWatch

/// History through the real binary: `kill -9` loses at most the last interval, a restart keeps what was learned, and
/// a history file that is not ours stops the daemon with its name.
@Suite(.serialized)
struct HistoryDaemonTests {
    static func metric(_ daemon: DaemonProcess, _ name: String) async throws -> Double? {
        Exposition(text: try await daemon.get("/metrics").body).value(name, [:])
    }

    static func start(_ storage: String, interval: String = "200ms", config: String? = nil) async throws -> DaemonProcess {
        let root = TestPaths.fixture("v2-psi")
        return try await DaemonProcess(arguments: ["--path.procfs", root + "/proc", "--path.sysfs", root + "/sys",
                                             "--collection.interval", interval, "--storage.path", storage,
                                             "--detection.window", "1s"] + (config.map { ["--config", $0] } ?? []))
    }

    /// Pushes one sample per server of group `api`.
    static func push(_ daemon: DaemonProcess, seconds: Double) async throws {
        var request = HTTPClientRequest(url: "http://\(daemon.address)/api/v1/samples")
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: #"[{"group": "api", "server": "a", "seconds": \#(seconds)}, {"group": "api", "server": "b", "seconds": \#(seconds)}]"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 202)
    }

    @Test func sigkillLosesAtMostTheLastIntervalAndARestartGoesOn() async throws {
        let tree = try TemporaryTree()
        let storage = tree.root + "/state"
        try tree.write("config.yaml", "groups:\n  - name: api\n    servers:\n      - {name: a}\n      - {name: b}\n")
        let first = try await Self.start(storage, config: tree.root + "/config.yaml")
        for _ in 0..<5 { try await Self.push(first, seconds: 0.25) }
        let writing = try await eventually(within: 60, every: .milliseconds(100)) {
            (try await Self.metric(first, "interferencewatch_storage_writes_total") ?? 0) >= 4
        }
        #expect(writing)
        try await Task.sleep(for: .milliseconds(1500))  // past one flush, so the pushes are on disk
        let killedAt = Date().timeIntervalSince1970
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()

        let reader = HistoryReader(database: try HistoryDatabase(directory: storage, create: false))
        let sweeps = try reader.sweeps(from: 0, to: .infinity)
        let last = try #require(sweeps.last)
        // One flush interval (1 s) and one sweep interval (0.2 s) may be lost, plus scheduling slack on a busy machine.
        #expect(last.atSeconds >= killedAt - 3, "last stored sweep \(killedAt - last.atSeconds) s before the kill")
        #expect(sweeps.count >= 4)
        #expect(zip(sweeps, sweeps.dropFirst()).allSatisfy { $0.atSeconds < $1.atSeconds })

        // The daemon starts again on the same file and carries on: a second run, more sweeps, the old ones intact.
        let second = try await Self.start(storage, config: tree.root + "/config.yaml")
        defer { second.stop() }
        let more = try await eventually(within: 60, every: .milliseconds(100)) {
            (try await Self.metric(second, "interferencewatch_storage_writes_total") ?? 0) >= 3
        }
        #expect(more)
        second.stop()
        let after = try HistoryReader(database: try HistoryDatabase(directory: storage, create: false))
        #expect(try after.runs().count == 2)
        #expect(Array(try after.sweeps(from: 0, to: .infinity).prefix(sweeps.count)) == sweeps)

        // A report made after the restart still shows the latency and memory recorded before the kill.
        let report = try await ReportTests.runReport(["--storage.path", storage, "--from", "0", "--group", "api", "--format", "json"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        let charts = json?["charts"] as? [[String: Any]] ?? []
        func points(_ id: String) -> [[Double]] {
            let series = charts.first { $0["id"] as? String == id }?["series"] as? [[String: Any]] ?? []
            return series.flatMap { $0["points"] as? [[Double]] ?? [] }
        }
        #expect(points("task-time").contains { $0[0] < killedAt && $0[1] == 0.25 }, "\(points("task-time"))")
        #expect(points("host-memory").contains { $0[0] < killedAt })
    }

    /// What a reader sees committed in the history file now (the daemon may be writing).
    static func committed(_ storage: String) throws -> (sweeps: [Sweep], samples: [LatencySample]) {
        let reader = HistoryReader(database: try HistoryDatabase(directory: storage, create: false))
        return (try reader.sweeps(from: 0, to: .infinity), try reader.samples(from: 0, to: .infinity))
    }

    static func integrity(_ storage: String) throws -> [String] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: storage + "/" + HistoryDatabase.fileName, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
    }

    static func uncleanLines(_ daemon: DaemonProcess) -> [Substring] {
        daemon.log.split(separator: "\n").filter { $0.contains("did not stop cleanly") }
    }

    @Test func sigkillAtRandomMomentsOfWritingKeepsEverythingCommittedAndTheNextStartSaysSo() async throws {
        var random = TestRandom(seed: UInt64(Date().timeIntervalSince1970 * 1000))
        print("sigkill test seed \(random.seed)")
        let tree = try TemporaryTree()
        let storage = tree.root + "/state", path = storage + "/" + HistoryDatabase.fileName
        try tree.write("config.yaml", "groups:\n  - name: api\n    servers:\n      - {name: a}\n      - {name: b}\n")
        var seen: (sweeps: [Sweep], samples: [LatencySample]) = ([], [])
        for run in 0..<5 {
            let daemon = try await Self.start(storage, config: tree.root + "/config.yaml")
            defer { daemon.stop() }
            // Every commit has work: sweeps every 200 ms, and latency pushed in between.
            let pushing = Task {
                while !Task.isCancelled {
                    try? await Self.push(daemon, seconds: 0.25)
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            defer { pushing.cancel() }
            let unclean = try await Self.metric(daemon, "interferencewatch_storage_unclean_shutdown_detected")
            let lines = Self.uncleanLines(daemon)
            if run == 0 {
                #expect(unclean == 0 && lines.isEmpty, "seed \(random.seed): \(lines)")
            } else {
                // Once, at warning, with the store and the last sweep the killed run committed.
                #expect(unclean == 1, "seed \(random.seed), run \(run)")
                #expect(lines.count == 1, "seed \(random.seed), run \(run): \(lines)")
                if let line = lines.first, let last = seen.sweeps.last {
                    #expect(line.contains("level=warning") && line.contains("file.path=\(path)"), "\(line)")
                    #expect(line.contains("last_sweep.time=\(TimeExpression.format(last.atSeconds))"), "seed \(random.seed): \(line)")
                }
            }
            // It resumes writing, then is killed at a random moment of its one-second write cycle.
            let target = Double(run == 0 ? 2 : 1) + Double(random.next() % 3)
            let writing = try await eventually(within: 30, every: .milliseconds(50)) {
                (try await Self.metric(daemon, "interferencewatch_storage_writes_total") ?? 0) >= target
            }
            #expect(writing, "seed \(random.seed), run \(run): \(daemon.log.suffix(1500))")
            try await Task.sleep(for: .milliseconds(Int(random.next() % 1200)))
            let before = try Self.committed(storage)
            kill(daemon.process.processIdentifier, SIGKILL)
            daemon.process.waitUntilExit()
            pushing.cancel()

            // The file is whole, and everything a reader saw committed, this run and every earlier one, is there.
            #expect(try Self.integrity(storage) == ["ok"], "seed \(random.seed), run \(run)")
            let after = try Self.committed(storage)
            #expect(before.sweeps.count > seen.sweeps.count, "seed \(random.seed), run \(run): no new sweep committed")
            #expect(Array(after.sweeps.prefix(before.sweeps.count)) == before.sweeps, "seed \(random.seed), run \(run)")
            #expect(before.samples.allSatisfy { after.samples.contains($0) }, "seed \(random.seed), run \(run)")
            #expect(after.samples.count > seen.samples.count, "seed \(random.seed), run \(run): no new samples")
            seen = after
        }

        // A clean stop leaves no marker: the next start reports nothing, and the history is all there.
        let clean = try await Self.start(storage, config: tree.root + "/config.yaml")
        #expect(try await Self.metric(clean, "interferencewatch_storage_unclean_shutdown_detected") == 1)
        #expect(clean.stop() == 0)
        let next = try await Self.start(storage, interval: "1h", config: tree.root + "/config.yaml")
        defer { next.stop() }
        #expect(try await Self.metric(next, "interferencewatch_storage_unclean_shutdown_detected") == 0)
        #expect(Self.uncleanLines(next).isEmpty, "\(Self.uncleanLines(next))")
        #expect(try HistoryReader(database: try HistoryDatabase(directory: storage, create: false)).runs().count >= 6)
        #expect(Array(try Self.committed(storage).sweeps.prefix(seen.sweeps.count)) == seen.sweeps)
    }

    @Test func theAdviceSurvivesARestart() async throws {
        let tree = try TemporaryTree()
        let storage = tree.root + "/state"
        let first = try await Self.start(storage)
        _ = try await eventually(within: 60, every: .milliseconds(200)) {
            (try await Self.metric(first, "interferencewatch_host_memory_advice_observed_seconds") ?? 0) >= 1.5
        }
        let observed = try #require(try await Self.metric(first, "interferencewatch_host_memory_advice_observed_seconds"))
        #expect(first.stop() == 0)
        // `recommend` reads what the stopped daemon saved: the same advice as its API gave.
        let saved = try await BinaryRun.run(["recommend", "--storage.path", storage, "--format", "json"])
        #expect(saved.status == 0, "\(saved)")
        let document = try JSONSerialization.jsonObject(with: Data(saved.stdout.utf8)) as? [String: Any]
        let advice = try #require(document?["advice"] as? [String: Any], "\(saved)")
        #expect((advice["observed_seconds"] as? Double ?? 0) >= observed - 1e-6)
        #expect((advice["minimum_bytes"] as? UInt64 ?? 0) > 0 && advice["workloads"] is [[String: Any]])
        let text = try await BinaryRun.run(["recommend", "--storage.path", storage])
        #expect(text.status == 0 && text.stdout.hasPrefix("Recommended: ") && text.stdout.contains("Why:\n- "), "\(text)")
        #expect(text.stdout.contains("WORKLOAD") && text.stdout.contains("(outside workloads)"), "\(text)")

        let second = try await Self.start(storage, interval: "1h")
        defer { second.stop() }
        // One sweep in, the advice already rests on the first run's time.
        let resumed = try #require(try await Self.metric(second, "interferencewatch_host_memory_advice_observed_seconds"))
        #expect(resumed >= observed, "observed \(observed) s before the restart, \(resumed) s after")
    }

    @Test func recommendWithoutHistorySaysWhere() async throws {
        let tree = try TemporaryTree()
        let result = try await BinaryRun.run(["recommend", "--storage.path", tree.root + "/none"])
        #expect(result.status != 0 && result.stderr.contains(tree.root + "/none"), "\(result)")
    }

    @Test func aHistoryFileThatIsNotOursStopsStartUpWithItsName() async throws {
        let tree = try TemporaryTree()
        try tree.write("state/history.sqlite", "this is not a database, but somebody's notes\n")
        let root = TestPaths.fixture("v2-psi")
        let result = try await BinaryRun.run(["run", "--web.listen-address", "127.0.0.1:0", "--path.procfs", root + "/proc",
                                        "--path.sysfs", root + "/sys", "--storage.path", tree.root + "/state"])
        let log = result.stderr
        #expect(result.status == 2)
        #expect(log.contains(tree.root + "/state/history.sqlite") && log.contains("left untouched"), "\(log)")
        #expect(try String(contentsOfFile: tree.root + "/state/history.sqlite", encoding: .utf8) == "this is not a database, but somebody's notes\n")
    }
}

/// A full disk under the history file: writes fail, are counted and logged once, the daemon keeps serving, and when
/// space returns everything queued meanwhile is written: nothing is lost.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
struct HistoryFullDiskTests {
    @Test func aFullDiskIsCountedAndEverythingQueuedIsWrittenWhenSpaceReturns() async throws {
        let tree = try TemporaryTree()
        let mount = tree.root + "/small"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = Process()
        mounted.executableURL = URL(fileURLWithPath: "/bin/mount")
        mounted.arguments = ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mount]
        try mounted.run()
        mounted.waitUntilExit()
        try #require(mounted.terminationStatus == 0, "mount tmpfs failed")
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = ["-l", mount]
            try? umount.run()
            umount.waitUntilExit()
        }
        let daemon = try await HistoryDaemonTests.start(mount + "/state")
        defer { daemon.stop() }
        _ = try await eventually(within: 30) { (try await HistoryDaemonTests.metric(daemon, "interferencewatch_storage_writes_total") ?? 0) >= 2 }
        let stored = try HistoryDaemonTests.committed(mount + "/state").sweeps
        try #require(!stored.isEmpty)

        // Fill the disk: the writer's next transactions fail.
        let filler = mount + "/filler"
        FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        let chunk = Data(repeating: 0x55, count: 64 << 10)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try handle.close()
        let failing = try await eventually(within: 30, every: .milliseconds(200)) {
            (try await HistoryDaemonTests.metric(daemon, "interferencewatch_storage_write_errors_total") ?? 0) >= 2
        }
        #expect(failing, "\(daemon.log.suffix(1500))")
        let fullSince = Date().timeIntervalSince1970
        #expect(try await daemon.get("/metrics").status == 200)  // scrapes unaffected
        try await Task.sleep(for: .seconds(2))  // sweeps pile up in the queue while the disk is full
        let logged = daemon.log.split(separator: "\n").filter { $0.contains("history write failed") }
        #expect(logged.count == 1, "the outage was logged \(logged.count) times")
        // With the store and SQLite's own words for it.
        #expect(logged.first.map { $0.contains("file.path=\(mount)/state/history.sqlite") && $0.contains("full") } == true, "\(logged)")
        let errors = try await HistoryDaemonTests.metric(daemon, "interferencewatch_storage_write_errors_total") ?? 0

        // Space returns: the queued sweeps are written, the ones taken while the disk was full among them.
        try FileManager.default.removeItem(atPath: filler)
        let recovered = await eventually(within: 30, every: .milliseconds(200)) { daemon.log.contains("history writes work again") }
        #expect(recovered, "\(daemon.log.suffix(1500))")
        daemon.stop()
        let sweeps = try HistoryReader(database: try HistoryDatabase(directory: mount + "/state", create: false)).sweeps(from: 0, to: .infinity)
        // What was stored before the disk filled is all there, and every failed attempt was counted (more than the
        // one line logged).
        #expect(Array(sweeps.prefix(stored.count)) == stored)
        #expect(errors >= 2 && daemon.log.components(separatedBy: "history write failed").count - 1 == 1)
        #expect(sweeps.contains { $0.atSeconds > fullSince && $0.atSeconds < fullSince + 2 }, "no sweep from the full-disk time")
        let gaps = zip(sweeps, sweeps.dropFirst()).map { $1.atSeconds - $0.atSeconds }
        #expect((gaps.max() ?? 0) < 1.5, "a gap of \(gaps.max() ?? 0) s in the stored sweeps")
    }
}
