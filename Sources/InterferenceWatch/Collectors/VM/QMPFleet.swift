import Detectors
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The QMP monitors of the VMs found by ``QMPSocketDiscovery``, re-discovered periodically.
///
/// The fleet adds a ``QMPMonitor`` (with its own poll task) when a new socket matches and drops it when a globbed
/// socket disappears (at the next expansion, or as soon as its monitor finds the socket gone), so VMs started or
/// stopped after the daemon are followed. A dropped VM is counted (``takeVanished()``), not reported as failing.
/// ``readings()`` returns each monitor's latest sample without waiting for any poll.
final class QMPFleet: Sendable {
    private struct Entry: Sendable {
        let monitor: QMPMonitor
        var task: Task<Void, Never>?
    }

    private struct State: Sendable {
        var entries: [String: Entry] = [:]
        /// Per socket, the VM name last reported while up: a down VM keeps its `vm` label instead of falling back to
        /// the socket's file name (the monitor forgets `query-name` when the connection drops).
        var knownNames: [String: String] = [:]
        var running = false
        /// VMs dropped since the last ``takeVanished()``.
        var vanished: UInt64 = 0
    }

    let discovery: QMPSocketDiscovery
    let configuration: QMPConfiguration
    /// Time between two expansions of the socket globs.
    let rediscoveryInterval: Duration
    private let eventLoopGroup: any EventLoopGroup
    /// Paces rediscovery and every monitor's polls.
    private let clock: ServiceClock
    private let logger: Logger
    private let state = Mutex(State())

    /// - Parameters:
    ///   - discovery: the socket paths and globs.
    ///   - configuration: poll settings shared by every monitor.
    ///   - rediscoveryInterval: time between two glob expansions.
    ///   - logger: VMs found and dropped are logged at info with `qmp.socket`.
    init(discovery: QMPSocketDiscovery, configuration: QMPConfiguration = .init(),
         rediscoveryInterval: Duration = .seconds(30),
         eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, clock: ServiceClock = .continuous,
         logger: Logger) {
        self.clock = clock
        self.discovery = discovery
        self.configuration = configuration
        self.rediscoveryInterval = rediscoveryInterval
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Discovers and polls until the task is cancelled, then stops every monitor.
    func run() async {
        self.state.withLock { $0.running = true }
        var ticker = PeriodicTicker(clock: self.clock, interval: self.rediscoveryInterval)
        repeat {
            ticker.startTick()
            self.refresh()
        } while await ticker.sleepUntilDue()
        let tasks = self.state.withLock { state in
            state.running = false
            defer { for key in state.entries.keys { state.entries[key]!.task = nil } }
            return state.entries.values.compactMap(\.task)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// Expands the globs once: starts monitors for new sockets (polling them when ``run()`` is active) and drops the
    /// monitors of sockets that no longer match.
    ///
    /// - Returns: the socket paths added and removed.
    @discardableResult
    func refresh() -> (added: [String], removed: [String]) {
        let paths = Set(self.discovery.socketPaths())
        let (added, removed, stopped) = self.state.withLock { state in
            var added: [String] = [], removed: [String] = [], stopped: [Task<Void, Never>] = []
            // A monitor whose socket vanished is finished even if a new VM already reuses the path.
            for path in state.entries.keys.sorted() where !paths.contains(path) || state.entries[path]!.monitor.hasVanished {
                if let task = state.entries[path]?.task { stopped.append(task) }
                state.entries[path] = nil
                state.knownNames[path] = nil
                state.vanished += 1
                removed.append(path)
            }
            for path in paths.sorted() where state.entries[path] == nil {
                let monitor = QMPMonitor(target: QMPTarget(socketPath: path), configuration: self.configuration,
                                         eventLoopGroup: self.eventLoopGroup, clock: self.clock,
                                         isDiscovered: !self.discovery.isLiteral(path), logger: self.logger)
                state.entries[path] = Entry(monitor: monitor, task: nil)
                added.append(path)
            }
            if state.running {
                for (path, entry) in state.entries where entry.task == nil {
                    let monitor = entry.monitor
                    state.entries[path]!.task = Task {
                        await monitor.run()
                        self.retire(path, monitor: monitor)
                    }
                }
            }
            return (added, removed, stopped)
        }
        for task in stopped { task.cancel() }
        for path in added { self.logger.info("QMP socket found", metadata: ["qmp.socket": "\(path)"]) }
        for path in removed { self.logger.info("QMP socket gone, VM dropped", metadata: ["qmp.socket": "\(path)"]) }
        return (added, removed)
    }

    /// Drops a monitor whose loop ended because its socket vanished (a cancelled loop was dropped already).
    private func retire(_ path: String, monitor: QMPMonitor) {
        guard monitor.hasVanished else { return }
        let dropped = self.state.withLock { state in
            guard state.entries[path]?.monitor === monitor else { return false }
            state.entries[path] = nil
            state.knownNames[path] = nil
            state.vanished += 1
            return true
        }
        if dropped { self.logger.info("QMP socket gone, VM dropped", metadata: ["qmp.socket": "\(path)"]) }
    }

    /// VMs dropped because their socket went away since the last call (the VM collector adds them to
    /// `collector_vanished_total`).
    func takeVanished() -> UInt64 {
        self.state.withLock { state in
            defer { state.vanished = 0 }
            return state.vanished
        }
    }

    /// The sockets currently watched, sorted.
    var socketPaths: [String] { self.state.withLock { $0.entries.keys.sorted() } }

    /// The latest sample of every watched socket, sorted by socket path; never waits for a poll.
    func readings() -> [VMJoin.Reading] {
        self.state.withLock { state in
            state.entries.keys.sorted().compactMap { path in
                let monitor = state.entries[path]!.monitor
                // Gone, and dropped as soon as its loop returns: not a VM that is down.
                guard !monitor.hasVanished else { return nil }
                var sample = monitor.latest
                if sample.up {
                    state.knownNames[path] = sample.name
                } else if let known = state.knownNames[path] {
                    sample.name = known
                }
                return VMJoin.Reading(sample, socketPath: path, errorCounts: monitor.errorCounts)
            }
        }
    }

    /// Polls every watched socket once now (tests, and a first sweep that should not start empty).
    func pollAll() async {
        let monitors = self.state.withLock { $0.entries.values.map(\.monitor) }
        await withDiscardingTaskGroup { group in
            for monitor in monitors { group.addTask { await monitor.poll() } }
        }
    }
}
