import Detectors
@testable import Parsers
import Foundation
import Testing

/// The built binary on each fixture root: its `/metrics` must match the golden file (`UPDATE_GOLDEN=1` rewrites)
/// and pass `promtool check metrics`.
@Suite(.serialized)
struct GoldenMetricsTests {
    /// Lines whose values change from run to run (node_exporter's `skip_re`).
    static let volatile = ["interferencewatch_collector_duration_seconds", "interferencewatch_last_collection_timestamp_seconds",
                           "interferencewatch_host_memory_advice_observed_seconds", "interferencewatch_host_memory_advice_confidence_ratio",
                           "interferencewatch_storage_size_bytes",
                           "interferencewatch_storage_writes_total", "interferencewatch_storage_last_write_timestamp_seconds",
                           "interferencewatch_config_last_reload_success_timestamp_seconds"]

    /// A sample of `family` or its `# HELP`/`# TYPE` line: a volatile family is left out whole, since some (the last
    /// history write's time) appear only once something happened, which a slow start-up may or may not reach first.
    static func belongs(_ line: Substring, to family: String) -> Bool {
        line.hasPrefix(family + "{") || line.hasPrefix(family + " ")
            || line.hasPrefix("# HELP \(family) ") || line.hasPrefix("# TYPE \(family) ")
    }

    @Test(arguments: ["ubuntu1804-v1", "v2-psi"])
    func metricsMatchGolden(_ fixture: String) async throws {
        let root = TestPaths.fixture(fixture)
        let daemon = try await DaemonProcess(arguments: [
            "--path.procfs", root + "/proc", "--path.sysfs", root + "/sys", "--config", root + "/config.yaml",
            "--collection.interval", "1h",
        ])
        defer { daemon.stop() }
        let response = try await daemon.get("/metrics")
        #expect(response.status == 200)
        #expect(response.contentType == "text/plain; version=0.0.4; charset=utf-8")
        let stable = response.body.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in !Self.volatile.contains { Self.belongs(line, to: $0) } }
            .joined(separator: "\n")
        let goldenURL = TestPaths.golden.appendingPathComponent("metrics-\(fixture).prom")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try stable.write(to: goldenURL, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: goldenURL, encoding: .utf8)
        #expect(stable == golden, "metrics differ from \(goldenURL.path); rerun with UPDATE_GOLDEN=1 after checking the diff")

        let lint = try Self.promtool(["check", "metrics"], input: response.body)
        #expect(lint.status == 0, "promtool check metrics: \(lint.output)")
        #expect(daemon.stop() == 0)
    }

    @Test func landingPageLinksToMetrics() async throws {
        let daemon = try await DaemonProcess(arguments: ["--path.procfs", TestPaths.fixture("v2-psi") + "/proc",
                                                   "--web.telemetry-path", "/custom"])
        defer { daemon.stop() }
        let page = try await daemon.get("/")
        #expect(page.status == 200)
        #expect(page.body.contains("href=\"/custom\""))
        #expect(try await daemon.get("/custom").body.contains("interferencewatch_host_memory_total_bytes"))
    }

    @Test func badConfigLineStopsStartupWithFileAndLine() throws {
        let tree = try TemporaryTree()
        try tree.write("bad.yaml", "workloads:\n  - {name: x, cgroup: /a, colour: red}\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.binary)
        process.arguments = ["run", "--config", tree.root + "/bad.yaml", "--web.listen-address", "127.0.0.1:0"]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 2)
        #expect(text.contains("\(tree.root)/bad.yaml:2: workloads[0].colour: unknown key"), "\(text)")
    }

    @Test func badFlagIsRejected() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.binary)
        process.arguments = ["run", "--collection.interval", "soon"]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(text.contains("invalid --collection.interval \"soon\""), "\(text)")
    }

    /// Runs promtool from `PROMTOOL`, else `PATH`. The test command installs it; missing it is a failure.
    static func promtool(_ arguments: [String], input: String) throws -> (status: Int32, output: String) {
        let path = ProcessInfo.processInfo.environment["PROMTOOL"]
            ?? (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/promtool" }
                .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else {
            Issue.record("promtool not found: install Debian's prometheus package (scripts/test.sh does)")
            return (-1, "")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe(), out = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = out
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
