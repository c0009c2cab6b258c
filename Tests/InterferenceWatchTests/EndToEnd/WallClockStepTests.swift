import Detectors
import Foundation
import Testing

@testable import InterferenceWatch

/// The real daemon under libfaketime, its wall clock stepped back an hour and then forward a day while it sweeps
/// every 200 ms, stores history and takes pushed latency; the boot clock stays real, as with an NTP step. Nothing
/// stored is lost, `/metrics` keeps answering, each step is logged once and counted, and the rates, windows and
/// advice across the steps stay what the time that really passed makes them.
@Suite(.serialized)
struct WallClockStepTests {
    static let libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
    /// What the test's fake kernel swaps in: pages per second of real time.
    static let pagesPerSecond = 1000.0

    /// Sets the daemon's wall clock `seconds` off the real one: libfaketime re-reads the file on every call
    /// (`FAKETIME_NO_CACHE`), and the rename means it never reads half a file.
    static func setOffset(_ seconds: Int, file: String) throws {
        try "\(seconds >= 0 ? "+" : "")\(seconds)\n".write(toFile: file, atomically: true, encoding: .utf8)
    }

    static func steps(_ daemon: DaemonProcess) -> [Substring] {
        daemon.log.split(separator: "\n").filter { $0.contains("wall clock stepped") }
    }

    static func metric(_ daemon: DaemonProcess, _ name: String, _ labels: [String: String] = [:]) async throws -> Double? {
        Exposition(text: try await daemon.get("/metrics").body).value(name, labels)
    }

    /// Waits until the daemon has committed `count` more history writes (sweeps and samples keep flowing).
    static func writes(_ daemon: DaemonProcess, moreThan count: Double) async throws -> Double {
        var now = 0.0
        _ = try await eventually(within: 30, every: .milliseconds(100)) {
            now = try await Self.metric(daemon, "interferencewatch_storage_writes_total") ?? 0
            return now >= count + 3
        }
        return now
    }

    @Test func stepsBackAndForwardLoseNothingAndAreLoggedOnceAndCounted() async throws {
        try #require(FileManager.default.fileExists(atPath: Self.libfaketime), "libfaketime missing: scripts/install-deps.sh --test")
        let fixture = TestPaths.fixture("v2-psi")
        let tree = try TemporaryTree()
        let storage = tree.root + "/state", offset = tree.root + "/faketime", vmstat = tree.root + "/proc/vmstat"
        try FileManager.default.copyItem(atPath: fixture + "/proc", toPath: tree.root + "/proc")
        try tree.write("config.yaml", "groups:\n  - name: api\n    servers:\n      - {name: a}\n      - {name: b}\n")
        try Self.setOffset(0, file: offset)

        // The fake kernel swaps in at a steady rate of real (monotonic) time, whatever the daemon's wall clock says.
        // On a thread of its own, not the shared pool, which the whole suite keeps busy on two cores: in one full run
        // the daemon read back two thirds of the expected swap, as if the count had gone unwritten for seconds.
        let original = try String(contentsOfFile: vmstat, encoding: .utf8)
        let started = ContinuousClock.now
        let swapping = StopFlag()
        Thread {
            while !swapping.isStopped {
                let elapsed = started.duration(to: .now)
                let pages = 301_223 + UInt64(Double(elapsed.components.seconds) * Self.pagesPerSecond
                                             + Double(elapsed.components.attoseconds) / 1e18 * Self.pagesPerSecond)
                try? original.replacingOccurrences(of: "pswpin 301223", with: "pswpin \(pages)")
                    .write(toFile: vmstat, atomically: true, encoding: .utf8)
                usleep(50_000)
            }
        }.start()
        defer { swapping.stop() }

        // libfaketime shifts monotonic timer deadlines too; the passthrough (preloaded first) keeps them real.
        let passthrough = tree.root + "/timerfd-passthrough.so"
        let compiled = try await Command.run(["gcc", "-shared", "-fPIC", "-O2", "-o", passthrough,
                                        TestPaths.packageRoot.appendingPathComponent("Tests/InterferenceWatchTests/Support/timerfd-passthrough.c").path])
        try #require(compiled.status == 0, "\(compiled)")

        // Started through env(1): libfaketime's first process in a tree sets FAKETIME_SHARED with setenv(), which
        // moves `environ` off the start-up stack, where Swift finds the program's arguments from it (the daemon
        // then runs with none). In a child of a preloaded process the variable is already set.
        let daemon = try await DaemonProcess(arguments: [
            "--path.procfs", tree.root + "/proc", "--path.sysfs", fixture + "/sys", "--config", tree.root + "/config.yaml",
            "--collection.interval", "200ms", "--detection.window", "1s", "--storage.path", storage, "--storage.retention", "1h",
        ], launcher: ["/usr/bin/env"], environment: [
            "LD_PRELOAD": passthrough + " " + Self.libfaketime, "FAKETIME_TIMESTAMP_FILE": offset, "FAKETIME_NO_CACHE": "1",
            // An NTP step moves CLOCK_REALTIME only: the monotonic and boot clocks stay real.
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        ])
        defer {
            daemon.stop()
            // libfaketime's shared memory is named after the process that created it (env, then the daemon).
            let pid = daemon.process.processIdentifier
            try? FileManager.default.removeItem(atPath: "/dev/shm/faketime_shm_\(pid)")
            try? FileManager.default.removeItem(atPath: "/dev/shm/sem.faketime_sem_\(pid)")
        }
        let pushing = Task {
            while !Task.isCancelled {
                try? await HistoryDaemonTests.push(daemon, seconds: 0.25)
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        defer { pushing.cancel() }

        var writes = try await Self.writes(daemon, moreThan: 0)
        let before = try HistoryReader(database: try HistoryDatabase(directory: storage, create: false))
        let storedBefore = try before.sweeps(from: 0, to: .infinity)
        let samplesBefore = try before.samples(from: 0, to: .infinity)
        try #require(storedBefore.count >= 3 && !samplesBefore.isEmpty)
        let observedBefore = try #require(try await Self.metric(daemon, "interferencewatch_host_memory_advice_observed_seconds"))

        // An hour back.
        try Self.setOffset(-3600, file: offset)
        #expect(await eventually(within: 30) { Self.steps(daemon).count == 1 }, "\(daemon.log.suffix(2000))")
        writes = try await Self.writes(daemon, moreThan: writes)
        writes = try await Self.writes(daemon, moreThan: writes)
        #expect(try await daemon.get("/metrics").status == 200)
        // The advice keeps counting observed time after the step instead of waiting an hour for the clock.
        let observedAfterBack = try #require(try await Self.metric(daemon, "interferencewatch_host_memory_advice_observed_seconds"))
        #expect(observedAfterBack > observedBefore + 0.5, "observed \(observedBefore) s, then \(observedAfterBack) s")

        // A day forward.
        try Self.setOffset(86_400 - 3600, file: offset)
        #expect(await eventually(within: 30) { Self.steps(daemon).count == 2 }, "\(daemon.log.suffix(2000))")
        writes = try await Self.writes(daemon, moreThan: writes)
        writes = try await Self.writes(daemon, moreThan: writes)

        let metrics = Exposition(text: try await daemon.get("/metrics").body)
        // The advice's observed time goes on through the step forward too: by the time that passed, not a day.
        let observedAfterForward = try #require(metrics.value("interferencewatch_host_memory_advice_observed_seconds"))
        #expect(observedAfterForward > observedAfterBack + 0.5 && observedAfterForward < observedAfterBack + 3600,
                "observed \(observedAfterBack) s, then \(observedAfterForward) s")
        #expect(metrics.value("interferencewatch_clock_steps_total", ["direction": "backward"]) == 1)
        #expect(metrics.value("interferencewatch_clock_steps_total", ["direction": "forward"]) == 1)
        #expect((metrics.value("interferencewatch_storage_write_errors_total") ?? -1) == 0)
        pushing.cancel()
        #expect(daemon.stop() == 0)

        // Each step logged once, with its direction and size.
        let lines = Self.steps(daemon)
        #expect(lines.count == 2, "\(lines)")
        func size(_ line: Substring) -> Double? {
            line.split(separator: " ").first { $0.hasPrefix("clock.step_seconds=") }.flatMap { Double($0.dropFirst("clock.step_seconds=".count)) }
        }
        if lines.count == 2 {
            #expect(lines[0].contains("clock.direction=backward") && abs((size(lines[0]) ?? 0) - 3600) < 1.5, "\(lines[0])")
            #expect(lines[1].contains("clock.direction=forward") && abs((size(lines[1]) ?? 0) - 86_400) < 1.5, "\(lines[1])")
            #expect(lines.allSatisfy { $0.contains("level=warning") })
        }

        // Nothing stored before the steps is lost (a retention of an hour does not take the day-old-looking rows),
        // and what came after is there, in the order it was written, stamped with the stepped times.
        let after = try HistoryReader(database: try HistoryDatabase(directory: storage, create: false))
        let sweeps = try after.sweeps(from: 0, to: .infinity)
        #expect(Array(sweeps.prefix(storedBefore.count)) == storedBefore)
        let samples = try after.samples(from: 0, to: .infinity)
        #expect(samplesBefore.allSatisfy { samples.contains($0) })
        let first = storedBefore[0].atSeconds, last = storedBefore.last!.atSeconds
        let back = sweeps.filter { $0.atSeconds < first - 3000 }
        let ahead = sweeps.filter { $0.atSeconds > last + 80_000 }
        #expect(back.count >= 3 && ahead.count >= 3, "\(back.count) sweeps after the step back, \(ahead.count) after the step forward")
        // The boot clock went on evenly through both steps.
        let uptimes = sweeps.compactMap(\.uptimeSeconds)
        #expect(uptimes.count == sweeps.count && zip(uptimes, uptimes.dropFirst()).allSatisfy { $1 > $0 && $1 - $0 < 5 })

        // What the advice learnt before the day's step forward is not aged by it: the swap read back over the
        // last ten minutes (the whole run) is all that the fake kernel swapped in since the first sweep, not only
        // what came after the step, and the observed time is the boot clock's.
        let advice = try #require(try after.state(MinimumHostMemoryAdvisor.State.self, key: HistoryService.adviceStateKey))
        let ranSeconds = uptimes.last! - uptimes.first!
        let swappedIn = Self.pagesPerSecond * 4096 * ranSeconds
        #expect(Double(advice.readBack.totalBytes) > 0.8 * swappedIn && Double(advice.readBack.totalBytes) < 1.2 * swappedIn + 1e6,
                "read back \(advice.readBack.totalBytes) B over \(ranSeconds) s: expected about \(swappedIn) B")
        #expect(advice.observedSeconds > 0.8 * ranSeconds && advice.observedSeconds < ranSeconds + 1, "\(advice.observedSeconds) of \(ranSeconds) s")

        // Replay of the stored run gives the windows live detection gave, through both steps: every verdict the
        // daemon stored, in order (the daemon may stop before closing the window replay closes last).
        let replayed = try HistoryReplay(reader: after).steps(from: 0, to: .infinity).flatMap(\.verdicts)
        let stored = try after.verdicts(group: nil, from: 0, to: .infinity)
        #expect(replayed.count >= stored.count && replayed.count <= stored.count + 1, "replayed \(replayed.count), stored \(stored.count)")
        if let index = zip(stored, replayed).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("verdict \(index) of \(stored.count) differs:\nlive   \(stored[index])\nreplay \(replayed[index])")
        }

        // Detection windows after each step held the samples pushed in them (a clamped arrival clock would leave
        // the hour after the step back empty).
        let verdicts = try after.verdicts(group: "api", from: 0, to: .infinity)
        func sampled(_ verdict: GroupVerdict) -> Bool { verdict.servers.allSatisfy { $0.statistics.count > 0 } }
        #expect(verdicts.contains { $0.endSeconds < first - 3000 && sampled($0) }, "no window with samples after the step back")
        #expect(verdicts.contains { $0.endSeconds > last + 80_000 && sampled($0) }, "no window with samples after the step forward")

        // Rates across the steps are over the time that passed: the report's swap-in points at the first sweeps
        // after the steps are the fake kernel's rate, neither skipped (negative time) nor diluted over a day.
        let from = sweeps.map(\.atSeconds).min()! - 1, to = sweeps.map(\.atSeconds).max()! + 1
        let report = try await ReportTests.runReport(["--storage.path", storage, "--from", "\(Int64(from))", "--to", "\(Int64(to) + 1)",
                                                "--format", "json"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        let charts = json?["charts"] as? [[String: Any]] ?? []
        let swap = (charts.first { $0["id"] as? String == "host-swap" }?["series"] as? [[String: Any]] ?? [])
            .first { $0["name"] as? String == "swap-in" }?["points"] as? [[Double]] ?? []
        let expected = Self.pagesPerSecond * 4096
        #expect(swap.contains { $0[0] < first - 3000 } && swap.contains { $0[0] > last + 80_000 }, "\(swap)")
        #expect(swap.allSatisfy { $0[1] > expected / 5 && $0[1] < expected * 5 }, "expected about \(expected) B/s: \(swap)")
    }
}
