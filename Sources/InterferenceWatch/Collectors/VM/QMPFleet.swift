import Detectors
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The QMP monitors of the VMs found by ``QMPSocketDiscovery``, re-discovered periodically.
///
/// The fleet adds a ``QMPMonitor`` (with its own poll task) when a new socket matches and drops it when a globbed
/// socket disappears, so VMs started or stopped after the daemon are followed.
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
            for path in paths.sorted() where state.entries[path] == nil {
                let monitor = QMPMonitor(target: QMPTarget(socketPath: path), configuration: self.configuration,
                                         eventLoopGroup: self.eventLoopGroup, clock: self.clock, logger: self.logger)
                state.entries[path] = Entry(monitor: monitor, task: nil)
                added.append(path)
            }
            for path in state.entries.keys.sorted() where !paths.contains(path) {
                if let task = state.entries[path]?.task { stopped.append(task) }
                state.entries[path] = nil
                state.knownNames[path] = nil
                removed.append(path)
            }
            if state.running {
                for (path, entry) in state.entries where entry.task == nil {
                    let monitor = entry.monitor
                    state.entries[path]!.task = Task { await monitor.run() }
                }
            }
            return (added, removed, stopped)
        }
        for task in stopped { task.cancel() }
        for path in added { self.logger.info("QMP socket found", metadata: ["qmp.socket": "\(path)"]) }
        for path in removed { self.logger.info("QMP socket gone, VM dropped", metadata: ["qmp.socket": "\(path)"]) }
        return (added, removed)
    }

    /// The sockets currently watched, sorted.
    var socketPaths: [String] { self.state.withLock { $0.entries.keys.sorted() } }

    /// The latest sample of every watched socket, sorted by socket path; never waits for a poll.
    func readings() -> [VMJoin.Reading] {
        self.state.withLock { state in
            state.entries.keys.sorted().map { path in
                var sample = state.entries[path]!.monitor.latest
                if sample.up {
                    state.knownNames[path] = sample.name
                } else if let known = state.knownNames[path] {
                    sample.name = known
                }
                return VMJoin.Reading(sample, socketPath: path)
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
