import Logging
import ServiceLifecycle
import Synchronization

/// The probe rounds and histogram scrapes of every configured group, as one service that a config reload restarts
/// with the new groups (detection keeps its state for groups that did not change).
final class LatencyServices: Service, Sendable {
    private let recorder: LatencyRecorder
    private let logger: Logger
    private let groups: Mutex<[GroupSettings]>
    private let reloads: AsyncStream<Void>
    private let reloaded: AsyncStream<Void>.Continuation

    init(groups: [GroupSettings], recorder: LatencyRecorder, logger: Logger) {
        self.recorder = recorder
        self.logger = logger
        self.groups = Mutex(groups)
        (self.reloads, self.reloaded) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Restarts the probes and scrapes with `groups`.
    func reconfigure(groups: [GroupSettings]) {
        self.groups.withLock { $0 = groups }
        self.reloaded.yield()
    }

    func run() async throws {
        let reloads = self.reloads
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let groups = self.groups.withLock { $0 }
            let recorder = self.recorder, logger = self.logger
            // One child task per prober and scraper; a reload (or shutdown) cancels them all.
            let reloaded = await withTaskGroup(of: Void.self) { tasks -> Bool in
                for group in groups {
                    if group.probe != nil {
                        tasks.addTask { try? await ProbeRunner(group: group, recorder: recorder, logger: logger).run() }
                    }
                    if group.servers.contains(where: { $0.scrape != nil }) {
                        tasks.addTask { try? await HistogramScraper(group: group, recorder: recorder, logger: logger).run() }
                    }
                }
                var reloaded = false
                for await _ in reloads.cancelOnGracefulShutdown() {
                    reloaded = true
                    break
                }
                tasks.cancelAll()
                return reloaded
            }
            guard reloaded else { break }
            logger.info("latency sources restarting for the reloaded config")
        }
    }
}
