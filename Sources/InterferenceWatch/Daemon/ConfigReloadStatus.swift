import Foundation
import Synchronization

/// How the config files' reloads went, as Prometheus and Alertmanager report theirs: whether the last one worked,
/// when one last did, and how many did and did not. The load at start sets the gauge and the success time as a
/// reload would (a file that does not load stops start-up, so there is no failed start to report); the totals count
/// SIGHUP reloads only.
final class ConfigReloadStatus: Sendable {
    /// Which file: `daemon` (`--config`) or `web` (`--web.config.file`).
    enum Config: String, Sendable, CaseIterable {
        case daemon, web
    }

    struct Entry: Sendable, Equatable {
        var lastSuccessful = true
        var lastSuccessSeconds: Double
        var successesTotal: UInt64 = 0
        var failuresTotal: UInt64 = 0
    }

    private let entries: Mutex<[Config: Entry]>
    private let now: @Sendable () -> Double

    /// - Parameter configs: the files the daemon was started with (only those are reported).
    init(configs: Set<Config>, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        let started = now()
        self.entries = Mutex(Dictionary(uniqueKeysWithValues: configs.map { ($0, Entry(lastSuccessSeconds: started)) }))
        self.now = now
    }

    func record(_ config: Config, success: Bool) {
        let now = self.now()
        self.entries.withLock { entries in
            var entry = entries[config] ?? Entry(lastSuccessSeconds: now)
            entry.lastSuccessful = success
            if success {
                entry.lastSuccessSeconds = now
                entry.successesTotal += 1
            } else {
                entry.failuresTotal += 1
            }
            entries[config] = entry
        }
    }

    /// By config, in ``Config`` order.
    var entriesByConfig: [(config: Config, entry: Entry)] {
        self.entries.withLock { entries in Config.allCases.compactMap { config in entries[config].map { (config, $0) } } }
    }
}
