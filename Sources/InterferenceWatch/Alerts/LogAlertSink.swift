import Detectors
import Logging

/// Every transition logged once, with the alert's labels and summary as metadata.
struct LogAlertSink: AlertSink {
    let logger: Logger
    let counters: NotificationCounters
    var name: String { "log" }

    func notify(_ transitions: [AlertLifecycle.Transition]) {
        for transition in transitions {
            var metadata: Logger.Metadata = ["alert.name": "\(transition.alert.rule)", "alert.from": "\(transition.from.rawValue)",
                                             "alert.to": "\(transition.to.rawValue)",
                                             "alert.summary": "\(transition.alert.annotations["summary"] ?? "")"]
            for (key, value) in transition.alert.labels where key != "alertname" { metadata["alert.label.\(key)"] = "\(value)" }
            switch transition.to {
            case .firing: self.logger.warning("alert firing", metadata: metadata)
            case .resolved: self.logger.info("alert resolved", metadata: metadata)
            default: self.logger.debug("alert state changed", metadata: metadata)
            }
            self.counters.count(self.name, .sent)
        }
    }
}
