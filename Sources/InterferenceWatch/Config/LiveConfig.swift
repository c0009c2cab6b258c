import Synchronization

/// The config in effect, replaced as a whole on reload; readers take a consistent copy.
final class LiveConfig: Sendable {
    private let config: Mutex<DaemonConfig>
    private let token: Mutex<String?>

    init(_ config: DaemonConfig, pushToken: String?) {
        self.config = Mutex(config)
        self.token = Mutex(pushToken)
    }

    var current: DaemonConfig { self.config.withLock { $0 } }
    var pushToken: String? { self.token.withLock { $0 } }

    func replace(with config: DaemonConfig, pushToken: String?) {
        self.config.withLock { $0 = config }
        self.token.withLock { $0 = pushToken }
    }
}
