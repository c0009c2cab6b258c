import Detectors
@testable import Parsers
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The real daemon binary, started on a free port, scraped over HTTP, stopped with SIGTERM.
///
/// Its standard error goes to a file that ``log`` reads when asked. A pipe drained by a `readabilityHandler` needs a
/// libdispatch thread to run the handler, and on a loaded 2-core machine with dozens of tests blocking threads in
/// parallel none came for 45 s: the daemon had logged "listening" in 30 ms, yet the start-up wait never saw it.
// `address` is set once, before the initialiser returns; the rest is immutable.
final class DaemonProcess: @unchecked Sendable {
    let process = Process()
    /// The daemon's standard error, written by it alone.
    let logPath = NSTemporaryDirectory() + "iw-daemon-" + UUID().uuidString + ".log"
    private(set) var address = ""

    /// Starts the binary with `arguments` plus `--web.listen-address 127.0.0.1:0` and waits for its "listening" line.
    /// A history directory of its own when the test gives none, so no test reads what another (or the host's own
    /// daemon) left in the default `/var/lib/interference-watch`.
    private let ownStorage: String?

    /// - Parameters:
    ///   - launcher: a command that runs the binary (`setpriv --reuid ...`), the binary's path appended.
    ///   - binary: the daemon to run; the build under test unless a test installed one (the Debian package).
    ///   - environment: variables added to the test's own (`LD_PRELOAD` of libfaketime, say).
    init(arguments: [String], timeoutSeconds: Double = 30, launcher: [String] = [], binary: String = TestPaths.binary,
         environment: [String: String] = [:]) async throws {
        self.process.executableURL = URL(fileURLWithPath: launcher.first ?? binary)
        if !environment.isEmpty {
            self.process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        var arguments = arguments
        if !arguments.contains("--storage.path") {
            let storage = NSTemporaryDirectory() + "iw-daemon-" + UUID().uuidString
            arguments += ["--storage.path", storage]
            self.ownStorage = storage
        } else {
            self.ownStorage = nil
        }
        self.process.arguments = (launcher.isEmpty ? [] : Array(launcher.dropFirst()) + [binary])
            + ["run", "--web.listen-address", "127.0.0.1:0"] + arguments
        guard FileManager.default.createFile(atPath: self.logPath, contents: nil),
              let stderrFile = FileHandle(forWritingAtPath: self.logPath) else {
            throw ChildProcessError(message: "cannot create the daemon's log file \(self.logPath)")
        }
        defer { try? stderrFile.close() }  // the child has its own descriptor once started
        self.process.standardError = stderrFile
        self.process.standardOutput = FileHandle.nullDevice
        try self.process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if let match = self.log.split(separator: "\n").first(where: { $0.contains("msg=listening") }),
               let field = match.split(separator: " ").first(where: { $0.hasPrefix("web.address=") }) {
                self.address = String(field.dropFirst("web.address=".count))
                return
            }
            if !self.process.isRunning { break }
            // Suspends, never blocks: a start-up slowed by a loaded machine must not hold a thread of the pool.
            try? await Task.sleep(for: .milliseconds(50))
        }
        let exited = !self.process.isRunning
        self.stop()
        throw ChildProcessError(message: "daemon did not start listening within \(Int(timeoutSeconds)) s"
            + (exited ? " (exited with status \(self.process.terminationStatus))" : "") + "; stderr:\n\(self.log)")
    }

    /// Everything the daemon has written to standard error so far.
    var log: String {
        FileManager.default.contents(atPath: self.logPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The scraping client: plain (identity) responses, since `HTTPClient.shared` asks for gzip and refuses to
    /// inflate past 25:1, which a large exposition (a thousand near-identical workload series) compresses beyond.
    /// Never shut down: it lives as long as the test process.
    private static let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                           configuration: .init(decompression: .disabled))

    /// GETs `path` and returns status, content type and body.
    func get(_ path: String) async throws -> (status: Int, contentType: String, body: String) {
        var request = HTTPClientRequest(url: "http://\(self.address)\(path)")
        request.method = .GET
        let response = try await Self.client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), response.headers.first(name: "content-type") ?? "", String(buffer: body))
    }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    func stop() -> Int32 {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
        if let storage = self.ownStorage { try? FileManager.default.removeItem(atPath: storage) }
        return self.process.terminationStatus
    }

    deinit {
        self.stop()
        try? FileManager.default.removeItem(atPath: self.logPath)
    }
}
