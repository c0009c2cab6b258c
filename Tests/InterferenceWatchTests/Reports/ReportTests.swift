import Detectors
import Foundation
import Testing

@testable import InterferenceWatch

/// Post-mortem reports from a fixed stored history: golden Markdown and JSON (`UPDATE_GOLDEN=1` rewrites), the
/// command's plain failures, and the HTML's charts.
@Suite(.serialized)
struct ReportTests {
    static func history() throws -> (tree: TemporaryTree, reader: HistoryReader, steps: [SweepDetection.Step]) {
        let tree = try TemporaryTree()
        let steps = try ReportHistory.write(into: tree.root + "/state")
        let reader = HistoryReader(database: try HistoryDatabase(directory: tree.root + "/state", create: false))
        return (tree, reader, steps)
    }

    static func golden(_ name: String, _ text: String) throws {
        let url = TestPaths.golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "differs from Golden/\(name); UPDATE_GOLDEN=1 rewrites it")
    }

    @Test func theSqueezeIsOneEpisodeWithAMemoryCause() throws {
        let (_, reader, _) = try Self.history()
        let episodes = try reader.episodes()
        #expect(episodes.map(\.server) == ["s2"], "\(episodes)")
        let episode = try #require(episodes.first)
        #expect(episode.kind == .imbalance && episode.resolvedAtSeconds != nil)
        let signal = episode.finding.causes.first?.signal ?? ""
        #expect(["workload_swap", "workload_psi_memory", "workload_major_faults", "balloon_shrink"].contains(signal), "\(signal)")
    }

    @Test func markdownAndJSONMatchTheirGoldenFiles() throws {
        let (_, reader, _) = try Self.history()
        let episode = try #require(try reader.episodes().first)
        let report = try PostMortemBuilder(reader: reader).build(episodeID: episode.id, generatedAtSeconds: ReportHistory.start + 3600)
        try Self.golden("report.md", report.markdown)
        try Self.golden("report.json", String(decoding: try APIJSON.encode(report), as: UTF8.self) + "\n")
        // The summary, in the order: which group and server, when, how much slower, the cause.
        #expect(report.summary.flagged == ["s2"])
        #expect((report.summary.ratio ?? 0) > 1.5)
        #expect(report.timeline.contains { $0.kind == .balloon })
        #expect(report.timeline.contains { $0.kind == .neighbour && $0.text.contains("batch") })
        #expect(report.advice.map { $0.recommendedBytes > $0.installedBytes } == true)
        let taskTime = try #require(report.charts.first { $0.id == "task-time" })
        #expect(taskTime.series.map(\.name) == ["s1", "s2", "s3", "s4"] && taskTime.series.allSatisfy { !$0.points.isEmpty })
    }

    @Test func theHTMLIsOneFileWithChartsThatHaveTheirPoints() throws {
        let (_, reader, _) = try Self.history()
        let report = try PostMortemBuilder(reader: reader).build(from: ReportHistory.start, to: ReportHistory.start + 960,
                                                                  generatedAtSeconds: ReportHistory.start + 3600)
        let html = report.html
        // Nothing to fetch: the only URL is the SVG namespace, which is a name, not a request.
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("https://"))
        #expect(html.components(separatedBy: "http://").count == html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count)
        for id in ["task-time", "imbalance", "fairness", "host-memory", "host-swap", "workload-memory", "workload-swap",
                   "workload-psi", "workload-major-faults", "balloons"] {
            #expect(html.contains("<figure id=\"\(id)\">"), "\(id)")
        }
        #expect(html.components(separatedBy: "class=\"point\"").count > 1000)
    }

    @Test func namesAreEscaped() throws {
        let chart = SVGChart(title: "<b>x</b>", unit: "seconds", series: [("s<1>\"&", [[0, 1], [1, 2]])]).svg
        #expect(!chart.contains("<b>") && chart.contains("s&lt;1&gt;&quot;&amp;"))
    }

    static func runReport(_ arguments: [String]) async throws -> BinaryRun.Result {
        try await BinaryRun.run(["report"] + arguments)
    }

    @Test func anUnknownEpisodeOrAnEmptyRangeSaysSoAndWritesNoFile() async throws {
        let (tree, _, _) = try Self.history()
        let output = tree.root + "/report.html"
        let unknown = try await Self.runReport(["--storage.path", tree.root + "/state", "--episode", "99", "--output", output])
        #expect(unknown.status == 1 && unknown.stderr.contains("no episode 99"), "\(unknown)")
        let empty = try await Self.runReport(["--storage.path", tree.root + "/state", "--from", "2020-01-01T00:00:00Z",
                                        "--to", "2020-01-02T00:00:00Z", "--output", output])
        #expect(empty.status == 1 && empty.stderr.contains("no history between"), "\(empty)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let missing = try await Self.runReport(["--storage.path", tree.root + "/nowhere", "--episode", "1"])
        #expect(missing.status == 1 && missing.stderr.contains("no history here"), "\(missing)")

        let good = try await Self.runReport(["--storage.path", tree.root + "/state", "--episode", "1", "--format", "md", "--output", output])
        #expect(good.status == 0, "\(good)")
        #expect(try String(contentsOfFile: output, encoding: .utf8).hasPrefix("# Post-mortem: imbalance of server s2 in lab"))
    }
}
