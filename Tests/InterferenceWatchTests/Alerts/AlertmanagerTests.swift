@testable import InterferenceWatch
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The daemon's alerts in Debian's real Alertmanager (started here on loopback with a config of its own): the alert
/// shows up with its labels and annotations while firing, the webhook receiver configured in Alertmanager is
/// notified, and after the episode ends Alertmanager has it resolved and says so to the receiver.
@Suite(.serialized, .enabled(if: AlertmanagerProcess.installed,
                              "needs Debian's prometheus-alertmanager (scripts/install-deps.sh --test)"))
struct AlertmanagerTests {
    @Test func firingAndResolvedReachARealAlertmanagerAndItsReceiver() async throws {
        let tree = try TemporaryTree()
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        let alertmanager = try await AlertmanagerProcess(directory: tree.root, receiverURL: receiver.url + "/am")
        defer { alertmanager.stop() }
        let amPort = alertmanager.port

        let rule = "    - {name: LabAlwaysOn, condition: host_memory_pressure, threshold: 0, labels: {team: lab}, summary: \"stalled {{percent}}\", description: \"a test rule\"}\n"
        try tree.write("config.yaml", "alerts:\n  resend_interval: 1s\n  rules:\n" + rule)
        let root = TestPaths.fixture("v2-psi")
        let daemon = try await DaemonProcess(arguments: [
            "--path.procfs", root + "/proc", "--path.sysfs", root + "/sys", "--collection.interval", "200ms",
            "--storage.path", tree.root + "/state", "--config", tree.root + "/config.yaml",
            "--alertmanager.url", "http://127.0.0.1:\(amPort)", "--web.external-url", "http://watch.example:9879",
        ])
        defer { daemon.stop() }

        var alert: [String: Any]?
        let shown = try await eventually(within: 60, every: .milliseconds(250)) {
            alert = try await alertmanager.alerts().first { ($0["labels"] as? [String: String])?["alertname"] == "LabAlwaysOn" }
            return alert != nil
        }
        #expect(shown, "daemon log:\n\(daemon.log.suffix(2000))")
        let labels = alert?["labels"] as? [String: String] ?? [:]
        #expect(labels["team"] == "lab" && labels["severity"] == "warning")
        let annotations = alert?["annotations"] as? [String: String] ?? [:]
        #expect(annotations["summary"]?.hasPrefix("stalled ") == true && annotations["description"] == "a test rule")
        #expect(alert?["generatorURL"] as? String == "http://watch.example:9879/")
        let notified = await eventually(within: 30) {
            receiver.received.contains { ($0.json?["status"] as? String) == "firing" && $0.path == "/am" }
        }
        #expect(notified, "Alertmanager's receiver got no firing notification")
        let metrics = Exposition(text: try await daemon.get("/metrics").body)
        #expect((metrics.value("interferencewatch_alert_notifications_total", ["sink": "alertmanager", "result": "sent"]) ?? 0) >= 1)
        #expect(metrics.value("interferencewatch_alert_active", ["alertname": "LabAlwaysOn", "state": "firing"]) == 1)

        // The episode ends (the rule is taken out and the config reloaded): resolved in Alertmanager and at its receiver.
        try tree.write("config.yaml", "alerts:\n  resend_interval: 1s\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        let gone = try await eventually(within: 60, every: .milliseconds(250)) {
            try await !alertmanager.alerts().contains { ($0["labels"] as? [String: String])?["alertname"] == "LabAlwaysOn" }
        }
        #expect(gone, "Alertmanager still shows the alert as active")
        let resolved = await eventually(within: 30) {
            receiver.received.contains { ($0.json?["status"] as? String) == "resolved" }
        }
        #expect(resolved, "no resolved notification; receiver got \(receiver.received.compactMap { $0.json?["status"] as? String })")
        let api = try await daemon.get("/api/v1/alerts")
        #expect(api.body.contains("\"state\" : \"resolved\""), "\(api.body)")
    }
}
