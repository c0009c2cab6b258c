import Detectors
import Foundation
import Testing

@testable import InterferenceWatch

/// The lab's CI scenario (`contrib/lab/run-scenario ci`): the study's experiment at 1/8 scale, models (a) host
/// processes and (c) VMs, on an emulated small host and an emulated roomy one, the real daemon watching each.
///
/// Part of the live imbalance suite, which runs its tests one at a time: the lab fills a 1 GiB cgroup until it swaps,
/// and another memory experiment beside it would measure that instead of its own.
extension LiveImbalanceTests {
    static let labScript = TestPaths.packageRoot.appendingPathComponent("contrib/lab/run-scenario").path

    /// A cause that names one of the daemon's memory signals (``CauseSignal``), not free text that happens to
    /// contain a memory word.
    static func isMemoryCause(_ cause: [String: Any]) -> Bool {
        (cause["signal"] as? String).flatMap(CauseSignal.init(rawValue:)) != nil
    }

    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path) is not an object")
    }

    static func csvRows(_ path: String) throws -> [[String: String]] {
        // Python's csv module ends rows with "\r\n", which Swift reads as one Character: split on any newline.
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else { return [] }
        return lines.dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Dictionary(uniqueKeysWithValues: zip(header, cells))
        }
    }

    /// What the lab may leave behind if its teardown failed: cgroups, swap files, VMs, containers, stress, servers.
    static func labLeftovers() -> [String] {
        var left: [String] = []
        // runc makes a container's cgroup in every v1 controller, so every hierarchy is checked, not only memory.
        let hierarchies = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []).map { "/sys/fs/cgroup/\($0)" }
        for root in ["/sys/fs/cgroup"] + hierarchies {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            left += entries.filter { $0.hasPrefix("interference-watch-lab-") }.map { "\(root)/\($0)" }
        }
        let swaps = (try? String(contentsOfFile: "/proc/swaps", encoding: .utf8)) ?? ""
        left += swaps.split(separator: "\n").filter { $0.contains("interference-watch-lab-") }.map(String.init)
        for pid in ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init) {
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let cmdline = String(decoding: raw, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
            if cmdline.contains("iw-lab-") || cmdline.hasPrefix("stress ") || cmdline.contains("/task-server ")
                || (cmdline.contains("qemu-system") && cmdline.contains("-vm")) {
                left.append("pid \(pid): \(cmdline.prefix(120))")
            }
        }
        return left
    }

    @Test(.timeLimit(.minutes(15)))
    func labCIScenarioShowsTheStudysShapeAndTearsDown() async throws {
        let results = try TemporaryTree()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.labScript)
        process.arguments = ["ci", "--results", results.root + "/ci", "--daemon", TestPaths.binary]
        let log = results.root + "/run.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        await process.exited()  // seven minutes: never on a thread of the pool
        try handle.close()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try #require(process.terminationStatus == 0, "run-scenario ci failed: \(output.suffix(3000))")

        // Clean teardown: nothing of the lab survives it.
        #expect(Self.labLeftovers().isEmpty, "left behind: \(Self.labLeftovers())")

        let small = results.root + "/ci/ci-host-a", roomy = results.root + "/ci/ci-host-b"
        for folder in [small, roomy] {
            for file in ["rounds.csv", "steps.csv", "mean-task-time.svg", "per-server-c.svg", "daemon.json", "RESULTS.md"] {
                #expect(FileManager.default.fileExists(atPath: "\(folder)/\(file)"), "\(folder)/\(file) missing")
            }
        }
        let summary = try String(contentsOfFile: results.root + "/ci/RESULTS.md", encoding: .utf8)
        // The results folder goes with the temporary tree; the last run's stays in the temp directory, so a failure
        // can be read (charts, daemon.json, the daemon's log).
        let keep = NSTemporaryDirectory() + "interference-watch-lab-ci-last"
        try? FileManager.default.removeItem(atPath: keep)
        try? FileManager.default.copyItem(atPath: results.root + "/ci", toPath: keep)
        #expect(summary.contains("Detection scoreboard") && summary.contains("Slowdown per model"))

        // Every round of every step reached all four servers, models (a) and (c) both ran.
        let rounds = try Self.csvRows(small + "/rounds.csv")
        #expect(Set(rounds.map { $0["model"] ?? "" }) == ["a", "c"])
        let failed = rounds.filter { ($0["error"] ?? "") != "" }
        #expect(failed.count * 20 < rounds.count, "too many failed requests: \(failed.prefix(3))")

        // The small host swapped while the VMs ran: its processes had memory in swap and faulted it back in.
        let steps = try Self.csvRows(small + "/steps.csv").filter { $0["model"] == "c" }
        let vmFaults = steps.compactMap { Int($0["major_faults"] ?? "") }.reduce(0, +)
        let vmSwapPeak = steps.compactMap { Int($0["swap_peak_bytes"] ?? "") }.max() ?? 0
        #expect(vmFaults > 10_000 && vmSwapPeak > 16 << 20,
                "small host: \(vmFaults) major faults, at most \(vmSwapPeak) bytes in swap\n\(output.suffix(2000))")

        // The daemon flagged imbalance on the small host with a memory cause, and called the host too small.
        let smallDaemon = try Self.json(small + "/daemon.json")
        let episodes = smallDaemon["episodes"] as? [[String: Any]] ?? []
        let imbalance = episodes.filter { ($0["kind"] as? String) == "imbalance" }
        #expect(!imbalance.isEmpty, "small host: no imbalance flagged; episodes \(episodes.count)\n\(output.suffix(2000))\n\(summary)")
        let causes = imbalance.flatMap { (($0["finding"] as? [String: Any])?["causes"] as? [[String: Any]]) ?? [] }
        #expect(causes.contains(where: Self.isMemoryCause), "small host: no memory cause named: \(causes.prefix(3))")
        let smallAdvice = (smallDaemon["advice"] as? [String: Any])?["advice"] as? [String: Any]
        #expect((smallAdvice?["verdict"] as? String) == "short", "small host advice: \(smallAdvice?["verdict"] ?? "none")")
        let reports = (try? FileManager.default.contentsOfDirectory(atPath: small + "/reports")) ?? []
        #expect(reports.count == episodes.count, "a report per episode: \(reports.count) for \(episodes.count)")

        // The roomy host: no finding at all, and "enough".
        let roomyDaemon = try Self.json(roomy + "/daemon.json")
        let roomyEpisodes = roomyDaemon["episodes"] as? [[String: Any]] ?? []
        #expect(roomyEpisodes.isEmpty, "roomy host findings: \(roomyEpisodes.map { "\($0["kind"] ?? "") \($0["group"] ?? "") \($0["server"] ?? "")" })")
        let roomyAdvice = (roomyDaemon["advice"] as? [String: Any])?["advice"] as? [String: Any]
        #expect((roomyAdvice?["verdict"] as? String) == "enough", "roomy host advice: \(roomyAdvice?["verdict"] ?? "none")")
    }
}
