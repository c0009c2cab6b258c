import ArgumentParser
import Foundation
import Logging

/// `interference-watch check-config [FILE] [--web.config.file WEB]`: validates the whole config (workloads, groups,
/// VMs, push, alerts and the files they name) and the web config (its certificates, key and CA too), and exits
/// non-zero with `file:line: what` on the first problem, as `promtool check config` does.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a config file and a web config file.")

    @Argument(help: "The YAML config file.")
    var file: String?

    @Option(name: .customLong("web.config.file"), help: "An exporter-toolkit web config file (as for run).")
    var webConfigFile: String?

    func validate() throws {
        if self.file == nil && self.webConfigFile == nil { throw ValidationError("give a config FILE, --web.config.file, or both") }
    }

    func run() throws {
        do {
            if let file = self.file {
                let config = try DaemonConfig.load(path: file)
                _ = try config.push.loadToken()
                var logger = Logger(label: "check-config")
                logger.logLevel = .critical
                _ = try RunCommand.alertSinks(config: config, extraAlertmanagers: [], counters: NotificationCounters(),
                                              generatorURL: { _ in "" }, logger: logger)
                print("\(file): OK: \(config.workloads.count) workloads, \(config.groups.count) groups, \(config.alerts.rules.count) alert rules, "
                      + "\(config.alerts.alertmanagers.count) Alertmanagers, \(config.alerts.webhooks.count) webhooks")
            }
            if let web = self.webConfigFile {
                let config = try WebConfig.load(path: web)
                _ = try LiveWebConfig(config)
                print("\(web): OK: TLS \(config.tls.map { "on (\($0.clientAuthType))" } ?? "off"), \(config.basicAuthUsers.count) users, "
                      + "\(config.headers.count) headers")
            }
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}
