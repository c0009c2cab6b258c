import Detectors
import Foundation

extension AlertEngine {
    /// `interferencewatch_alert_active{alertname,severity,...}` (1 firing, 0 pending; resolved alerts have no series)
    /// and `interferencewatch_alert_notifications_total{sink,result}`.
    func families(counters: NotificationCounters) -> [MetricFamily] {
        var set = FamilySet()
        for alert in self.alerts where alert.state != .resolved {
            let labels = alert.labels.keys.sorted().map { (name: $0, value: alert.labels[$0]!) } + [("state", alert.state.rawValue)]
            set.add("alert_active", .gauge, "Alerts the daemon holds: 1 while firing, 0 while pending (labels as sent to Alertmanager).",
                    labels, alert.state == .firing ? 1 : 0)
        }
        for entry in counters.all {
            set.add("alert_notifications_total", .counter, "Alert notifications by sink and result (sent, failed, dropped).",
                    [("sink", entry.sink), ("result", entry.result)], entry.count)
        }
        return set.all
    }

    /// `GET /api/v1/alerts`: every pending, firing and recently resolved alert, with the finding behind it.
    struct AlertsDocument: Encodable {
        struct Entry: Encodable {
            var state: String
            var since: Double
            var firedAt: Double?
            var resolvedAt: Double?
            var labels: [String: String]
            var annotations: [String: String]
            var value: Double
            var finding: Finding?
        }

        var generatedAt: Double
        var alerts: [Entry]
    }

    func alertsDocument(findings: [Finding], generatedAt: Double = Date().timeIntervalSince1970) -> AlertsDocument {
        AlertsDocument(generatedAt: generatedAt, alerts: self.alerts.map { alert in
            let finding = findings.first {
                $0.group == alert.labels["group"] && ($0.server ?? "") == alert.labels["server"] && $0.kind.rawValue == alert.labels["kind"]
            }
            return .init(state: alert.state.rawValue, since: alert.activeSinceSeconds, firedAt: alert.firedAtSeconds,
                         resolvedAt: alert.resolvedAtSeconds, labels: alert.labels, annotations: alert.annotations, value: alert.value,
                         finding: finding)
        })
    }
}
