@testable import InterferenceWatch
import Detectors
@testable import Parsers
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The daemon scraping a real server's own Prometheus histogram: the lab task server's `task_duration_seconds`.
///
/// Every step waits on something observable (the server's request log, the daemon's counters), never on a clock:
/// the first scrape only sets the baseline, each later one records the window's new observations, a dead server is
/// counted as a scrape error, and a restarted server (its counters back at zero) is a reset, not a negative window.
@Suite(.serialized)
struct LiveScrapeTests {
    /// One task server process on a fixed port, its stderr (one line per request) in a file.
    final class TaskServer {
        let process = Process()
        let logPath: String

        init(port: Int, logPath: String) throws {
            self.logPath = logPath
            FileManager.default.createFile(atPath: logPath, contents: nil)
            self.process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            self.process.arguments = [LiveImbalanceTests.taskServer, "--port", "\(port)", "--writes", "2000",
                                      "--name", "s1"]
            self.process.standardOutput = FileHandle.nullDevice
            self.process.standardError = FileHandle(forWritingAtPath: logPath)
            try self.process.run()
        }

        /// How many times the server has been scraped.
        var scrapes: Int {
            let log = (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
            return log.components(separatedBy: "\"GET /metrics ").count - 1
        }

        func kill() {
            guard self.process.isRunning else { return }
            Glibc.kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }

        deinit { self.kill() }
    }

    static func get(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        #expect(response.status == .ok, "GET \(url)")
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    @Test func recordsWindowsOfARealHistogramAndSurvivesARestart() async throws {
        let port = LoopbackPort.free()
        let tree = try TemporaryTree()
        var server = try TaskServer(port: port, logPath: tree.root + "/server-1.log")
        defer { server.kill() }
        let healthy = await LiveCgroup.waitUntil(seconds: 20) {
            (try? await Self.get("http://127.0.0.1:\(port)/healthz")) != nil
        }
        try #require(healthy, "task server did not start")
        try tree.write("config.yaml", """
            groups:
              - name: lab
                servers:
                  - name: s1
                    scrape: {url: "http://127.0.0.1:\(port)/metrics", metric: task_duration_seconds, labels: {server: s1}, interval: 1s, timeout: 5s}
                  - name: s2   # a peer fed by pushes only (a group compares at least two servers)

            """)
        let daemon = try await DaemonProcess(arguments: ["--config", tree.root + "/config.yaml", "--collection.interval", "1s",
                                                   "--storage.path", tree.root + "/state", "--no-collector.process"])
        defer { daemon.stop() }
        let series = ["group": "lab", "server": "s1", "source": "scrape"]
        func daemonCount() async throws -> Double {
            Exposition(text: try await daemon.get("/metrics").body)
                .value("interferencewatch_server_latency_seconds_count", series) ?? 0
        }

        // The baseline scrape happens before any task ran, so every task from here on belongs to a later window.
        try #require(await LiveCgroup.waitUntil(seconds: 30) { server.scrapes >= 1 }, "daemon never scraped\n\(daemon.log)")
        for _ in 0..<5 { _ = try await Self.get("http://127.0.0.1:\(port)/task") }
        let truth = Exposition(text: try await Self.get("http://127.0.0.1:\(port)/metrics"))
        #expect(truth.value("task_duration_seconds_count", ["server": "s1"]) == 5)
        _ = await LiveCgroup.waitUntil(seconds: 30) { (try? await daemonCount()) == 5 }
        let first = Exposition(text: try await daemon.get("/metrics").body)
        #expect(first.value("interferencewatch_server_latency_seconds_count", series) == 5, "\(daemon.log)")
        // Stand-in values are bucket midpoints of the server's histogram: the mean lies inside the buckets that grew.
        let bounds = TaskHistogramBounds(truth, server: "s1")
        let mean = (first.value("interferencewatch_server_latency_seconds_sum", series) ?? -1) / 5
        #expect(mean >= bounds.lowest && mean <= bounds.highest, "mean \(mean) outside \(bounds)")

        // The server dies: scrapes fail and are counted, nothing is recorded.
        server.kill()
        let errors = await LiveCgroup.waitUntil(seconds: 30) {
            let text = (try? await daemon.get("/metrics").body) ?? ""
            return (Exposition(text: text).value("interferencewatch_server_scrape_errors_total",
                                                 ["group": "lab", "server": "s1"]) ?? 0) >= 1
        }
        #expect(errors, "no scrape error counted for the dead server\n\(daemon.log)")
        #expect(try await daemonCount() == 5)

        // It comes back with its counters at zero: that scrape is a reset (new baseline), then counting resumes.
        server = try TaskServer(port: port, logPath: tree.root + "/server-2.log")
        try #require(await LiveCgroup.waitUntil(seconds: 30) { server.scrapes >= 1 }, "restarted server never scraped")
        for _ in 0..<3 { _ = try await Self.get("http://127.0.0.1:\(port)/task") }
        _ = await LiveCgroup.waitUntil(seconds: 30) { (try? await daemonCount()) == 8 }
        // One more scrape after reaching 8 must not add anything: the windows hold exactly the 8 tasks.
        let scrapesAtEight = server.scrapes
        _ = await LiveCgroup.waitUntil(seconds: 30) { server.scrapes > scrapesAtEight }
        #expect(try await daemonCount() == 8, "\(daemon.log)")
        #expect(daemon.stop() == 0)
    }
}

/// The range of bucket bounds of a task-server histogram that holds observations.
struct TaskHistogramBounds: CustomStringConvertible {
    var lowest = Double.infinity
    var highest = 0.0

    init(_ exposition: Exposition, server: String) {
        var previousBound = 0.0, previousCount = 0.0
        for line in exposition.lines("task_duration_seconds_bucket") where line.contains("server=\"\(server)\"") {
            guard let leRange = line.range(of: "le=\""), let end = line[leRange.upperBound...].firstIndex(of: "\""),
                  let count = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            let bound = Double(line[leRange.upperBound..<end]) ?? .infinity
            if count > previousCount {
                self.lowest = min(self.lowest, previousBound)
                self.highest = max(self.highest, bound)
            }
            previousBound = bound
            previousCount = count
        }
    }

    var description: String { "[\(self.lowest), \(self.highest)]" }
}
