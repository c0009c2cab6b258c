import Foundation
import Testing

@testable import InterferenceWatch

/// The HTML report and the status page as a person sees them: opened by the real daemon's routes in headless
/// Chromium (Debian's package), with no console error and no failed request, every chart drawing all the points it
/// holds. Screenshots go to `.build/test-screenshots/` for a person to look at.
@Suite(.serialized, .enabled(if: HeadlessChromium.available, "needs chromium and python3-websocket (scripts/install-deps.sh --test)"))
struct BrowserTests {
    static let script = TestPaths.packageRoot.appendingPathComponent("Tests/InterferenceWatchTests/Support/browser-check.py").path
    static let screenshots = TestPaths.packageRoot.appendingPathComponent(".build/test-screenshots").path

    struct Page: Decodable, Sendable {
        struct Chart: Decodable {
            var id: String
            var declared: Int
            var drawn: Int
            var lines: Int
        }

        var errors: [String]
        var failed: [String]
        var title: String
        var charts: [Chart]
        var links: [String?]
        var screenshot: String
    }

    /// Loads `url` in headless Chromium (waited for off the cooperative pool) and returns what the page drew.
    static func open(_ url: String, screenshot: String) async throws -> Page {
        try await offPool { try Self.openBlocking(url, screenshot: screenshot) }
    }

    private static func openBlocking(_ url: String, screenshot: String) throws -> Page {
        let process = Process()
        // Debian's Python, which has Debian's python3-websocket.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.script, url, Self.screenshots + "/" + screenshot]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ChildProcessError(message: "browser check failed (\(process.terminationStatus)): \(stderr)")
        }
        return try JSONDecoder().decode(Page.self, from: data)
    }

    @Test func reportAndStatusPageRenderCleanlyWithAllTheirPoints() async throws {
        let tree = try TemporaryTree()
        try ReportHistory.write(into: tree.root + "/state")
        let root = TestPaths.fixture("v2-psi")
        let daemon = try await DaemonProcess(arguments: ["--path.procfs", root + "/proc", "--path.sysfs", root + "/sys",
                                                   "--collection.interval", "1h", "--storage.path", tree.root + "/state",
                                                   // The fixed history is from 2026-01-01: keep it past the default 15 days.
                                                   "--storage.retention", "100000d"])
        defer { daemon.stop() }
        let episodes = try await daemon.get("/api/v1/episodes")
        #expect(episodes.status == 200 && episodes.body.contains("\"server\" : \"s2\""), "\(episodes.body)")

        let report = try await Self.open("http://\(daemon.address)/api/v1/report?episode=1&format=html", screenshot: "report.png")
        #expect(report.errors.isEmpty, "console: \(report.errors)")
        #expect(report.failed.isEmpty, "requests: \(report.failed)")
        #expect(report.title.contains("imbalance of server s2"))
        #expect(report.charts.count == 10)
        for chart in report.charts {
            #expect(chart.drawn == chart.declared, "\(chart.id): drew \(chart.drawn) of \(chart.declared)")
        }
        for id in ["task-time", "imbalance", "host-memory", "workload-swap", "balloons"] {
            #expect((report.charts.first { $0.id == id }?.drawn ?? 0) > 0, "\(id) drew nothing")
        }
        print("browser: report screenshot at \(report.screenshot)")

        let status = try await Self.open("http://\(daemon.address)/", screenshot: "status.png")
        #expect(status.errors.isEmpty && status.failed.isEmpty, "\(status.errors) \(status.failed)")
        #expect(status.links.contains("/api/v1/report?episode=1&format=html"))
        #expect(status.links.contains("/metrics"))
        print("browser: status page screenshot at \(status.screenshot)")
    }
}

/// Whether the browser test can run here.
enum HeadlessChromium {
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    }
}
