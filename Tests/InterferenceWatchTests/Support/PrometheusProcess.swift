import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

@testable import InterferenceWatch

/// Debian's real Prometheus server (2.42, the `prometheus` package that `scripts/install-deps.sh --test` unpacks into
/// `.build-tools/prometheus`, so no system service is configured), started on a free loopback port with a config and
/// a TSDB of its own in `directory`: it scrapes `target` and evaluates `ruleFiles` every second and sends its alerts
/// to `alertmanager`.
///
/// Terminated by ``stop()`` or when released. Its log is `directory/prometheus.log` (``log``).
final class PrometheusProcess {
    /// `PROMETHEUS`, else the server beside `PROMTOOL` (scripts/test.sh sets it), else the unpacked package's.
    static var binary: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["PROMETHEUS"] { return path }
        if let promtool = environment["PROMTOOL"] {
            return URL(fileURLWithPath: promtool).deletingLastPathComponent().appendingPathComponent("prometheus").path
        }
        return TestPaths.packageRoot.appendingPathComponent(".build-tools/prometheus/usr/bin/prometheus").path
    }

    let port: Int
    let directory: String
    private let process = Process()

    /// - Parameters:
    ///   - target: `host:port` of the daemon to scrape (job `interference-watch`, `/metrics`).
    ///   - ruleFiles: absolute paths of the rule files to load.
    ///   - alertmanager: `host:port` of the Alertmanager to send alerts to.
    /// - Throws: when the binary is missing or the server is not ready within 60 s.
    init(directory: String, target: String, ruleFiles: [String], alertmanager: String) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw ChildProcessError(message: "no Prometheus server at \(Self.binary) (scripts/install-deps.sh --test unpacks it)")
        }
        self.directory = directory
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files: [\(ruleFiles.map { "\"\($0)\"" }.joined(separator: ", "))]
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: ["\(alertmanager)"]
            scrape_configs:
              - job_name: interference-watch
                static_configs:
                  - targets: ["\(target)"]

            """.write(toFile: directory + "/prometheus.yml", atomically: false, encoding: .utf8)
        let port = LoopbackPort.free()
        self.port = port
        _ = FileManager.default.createFile(atPath: directory + "/prometheus.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/prometheus.log"))
        self.process.executableURL = URL(fileURLWithPath: Self.binary)
        self.process.arguments = ["--config.file=\(directory)/prometheus.yml", "--web.listen-address=127.0.0.1:\(port)",
                                  "--storage.tsdb.path=\(directory)/tsdb", "--log.level=info"]
        self.process.standardOutput = log
        self.process.standardError = log
        self.process.standardInput = FileHandle.nullDevice
        try self.process.run()
        let ready = await eventually(within: 60, every: .milliseconds(200)) {
            guard self.process.isRunning else { return false }
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/-/ready")
            return (try? await HTTPClient.shared.execute(request, timeout: .seconds(2)))?.status == .ok
        }
        guard ready else {
            self.stop()
            throw ChildProcessError(message: "Prometheus was not ready on 127.0.0.1:\(port); log:\n\(self.log.suffix(3000))")
        }
    }

    var url: String { "http://127.0.0.1:\(self.port)" }
    var log: String { (try? String(contentsOfFile: self.directory + "/prometheus.log", encoding: .utf8)) ?? "" }

    /// GETs an API path and returns the document's `data`, throwing when `status` is not `success`.
    func api(_ pathAndQuery: String) async throws -> Any {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: self.url + pathAndQuery), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        let document = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
        guard document["status"] as? String == "success", let data = document["data"] else {
            throw ChildProcessError(message: "\(pathAndQuery): \(String(buffer: body).prefix(2000))")
        }
        return data
    }

    /// An instant query (`/api/v1/query`): the result's type (`vector`, `scalar`, ...) and its elements (a scalar's
    /// or string's `[time, value]` as one element).
    func query(_ expression: String) async throws -> (type: String, result: [Any]) {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "+&=;")
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: allowed) ?? expression
        let data = try await self.api("/api/v1/query?query=" + encoded) as? [String: Any] ?? [:]
        let type = data["resultType"] as? String ?? ""
        switch type {
        case "vector", "matrix": return (type, data["result"] as? [Any] ?? [])
        default: return (type, data["result"].map { [$0] } ?? [])
        }
    }

    /// `/api/v1/rules`: the rule groups, each with its `rules` (`name`, `type`, `health`, `state` for alerts).
    func ruleGroups() async throws -> [[String: Any]] {
        (try await self.api("/api/v1/rules") as? [String: Any])?["groups"] as? [[String: Any]] ?? []
    }

    /// `/api/v1/alerts`: the pending and firing alerts with their `labels` and `state`.
    func alerts() async throws -> [[String: Any]] {
        (try await self.api("/api/v1/alerts") as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
    }

    /// `/api/v1/targets`: the active targets with `health` and `lastError`.
    func targets() async throws -> [[String: Any]] {
        (try await self.api("/api/v1/targets") as? [String: Any])?["activeTargets"] as? [[String: Any]] ?? []
    }

    func stop() {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
    }

    deinit {
        self.stop()
    }
}
