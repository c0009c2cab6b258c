import AsyncHTTPClient
import Foundation
import NIOCore

@testable import InterferenceWatch

/// Debian's real Alertmanager (`prometheus-alertmanager` 0.25), started on a free loopback port with a config of its
/// own that routes every alert to `receiverURL` (a ``WebhookReceiver``) at once; no cluster, storage in `directory`.
///
/// Terminated by ``stop()`` or when released.
final class AlertmanagerProcess {
    static let binary = "/usr/bin/prometheus-alertmanager"
    static var installed: Bool { FileManager.default.isExecutableFile(atPath: Self.binary) }

    let port: Int
    private let process = Process()

    /// - Throws: when Alertmanager does not listen within 30 s.
    init(directory: String, receiverURL: String) async throws {
        try """
            route:
              receiver: hook
              group_by: [alertname]
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: hook
                webhook_configs:
                  - url: \(receiverURL)
                    send_resolved: true

            """.write(toFile: directory + "/alertmanager.yml", atomically: false, encoding: .utf8)
        let port = LoopbackPort.free()
        self.port = port
        self.process.executableURL = URL(fileURLWithPath: Self.binary)
        self.process.arguments = ["--config.file=\(directory)/alertmanager.yml", "--web.listen-address=127.0.0.1:\(port)",
                                  "--storage.path=\(directory)/am", "--cluster.listen-address=", "--log.level=warn"]
        self.process.standardOutput = FileHandle.nullDevice
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        let up = await eventually(within: 30) { LoopbackPort.isListening(port) }
        guard up else {
            self.stop()
            throw ChildProcessError(message: "Alertmanager did not start listening on 127.0.0.1:\(port)")
        }
    }

    var url: String { "http://127.0.0.1:\(self.port)" }

    /// `GET /api/v2/alerts`: the alerts Alertmanager holds now.
    func alerts() async throws -> [[String: Any]] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: self.url + "/api/v2/alerts"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]]) ?? []
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
