import Detectors
@testable import Parsers
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The real daemon binary, started on a free port, scraped over HTTP, stopped with SIGTERM.
// The mutable log text is guarded by `lock`; the rest is set before the handler runs.
final class DaemonProcess: @unchecked Sendable {
    let process = Process()
    private let stderrPipe = Pipe()
    private(set) var address = ""
    private var stderrText = ""
    private let lock = NSLock()

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
        self.process.standardError = self.stderrPipe
        self.process.standardOutput = FileHandle.nullDevice
        self.stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.stderrText += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
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
        // What the handler had not read yet when the process exited: the error that stopped it.
        let rest = String(decoding: self.stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        throw ChildProcessError(message: "daemon did not start listening"
            + (exited ? " (exited with status \(self.process.terminationStatus))" : "") + "; stderr:\n\(self.log)\(rest)")
    }

    var log: String {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.stderrText
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
        self.stderrPipe.fileHandleForReading.readabilityHandler = nil
        if let storage = self.ownStorage { try? FileManager.default.removeItem(atPath: storage) }
        return self.process.terminationStatus
    }

    deinit {
        self.stop()
    }
}
