import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads the config file on SIGHUP (`systemctl reload`), as the unit's `ExecReload` asks.
///
/// A file that does not load (bad YAML, a bad key, an unreadable token file) keeps the running config and logs
/// `file:line: what`; the daemon runs on either way. Without a config file there is nothing to re-read, and SIGHUP
/// is logged and otherwise ignored (never the default action, which would end the daemon).
struct ConfigReloader: Service {
    /// The signal sequence is created before the service group starts, so a SIGHUP that arrives during start-up is
    /// already trapped instead of killing the daemon.
    let signals: UnixSignalsSequence
    let path: String?
    let logger: Logger
    /// Runs first on every SIGHUP, with or without a config file (the web config reloads there).
    var onHangup: @Sendable () -> Void = {}
    /// Loads and validates the file: throws ``ConfigError`` (or any error naming the file) to keep the old config.
    let load: @Sendable (String) throws -> DaemonConfig
    /// Puts a loaded config into effect.
    let apply: @Sendable (DaemonConfig) -> Void
    /// Where each reload's result is counted (`interferencewatch_config_*`).
    var status: ConfigReloadStatus?

    func run() async throws {
        for await _ in self.signals.cancelOnGracefulShutdown() {
            self.onHangup()
            self.reload()
        }
    }

    /// - Returns: whether a new config was applied.
    @discardableResult
    func reload() -> Bool {
        guard let path = self.path else {
            self.logger.info("SIGHUP: no --config file to re-read")
            return false
        }
        let config: DaemonConfig
        do {
            config = try self.load(path)
        } catch {
            self.status?.record(.daemon, success: false)
            self.logger.error("config reload failed, keeping the running config", metadata: ["error": "\(error)", "file.path": "\(path)"])
            return false
        }
        self.apply(config)
        self.status?.record(.daemon, success: true)
        self.logger.info("config reloaded", metadata: [
            "file.path": "\(path)", "workloads": "\(config.workloads.count)", "groups": "\(config.groups.count)",
        ])
        return true
    }
}
