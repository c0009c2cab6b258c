import ArgumentParser
import Foundation
import Logging

/// `interference-watch check-config FILE`: validates the whole config (workloads, groups, VMs, push, alerts and the
/// files they name) and exits non-zero with `file:line: what` on the first problem, as `promtool check config` does.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a config file.")

    @Argument(help: "The YAML config file.")
    var file: String

    func run() throws {
        do {
            let config = try DaemonConfig.load(path: self.file)
            _ = try config.push.loadToken()
            var logger = Logger(label: "check-config")
            logger.logLevel = .critical
            _ = try RunCommand.alertSinks(config: config, extraAlertmanagers: [], counters: NotificationCounters(),
                                          generatorURL: { _ in "" }, logger: logger)
            print("\(self.file): OK: \(config.workloads.count) workloads, \(config.groups.count) groups, \(config.alerts.rules.count) alert rules, "
                  + "\(config.alerts.alertmanagers.count) Alertmanagers, \(config.alerts.webhooks.count) webhooks")
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}
