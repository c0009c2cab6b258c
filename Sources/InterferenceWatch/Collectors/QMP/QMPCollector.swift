import Detectors
import Logging
import NIOCore
import NIOPosix

/// Watches several QEMUs over QMP, one independent ``QMPMonitor`` each.
///
/// ``run()`` polls every target concurrently until cancelled (its signature matches swift-service-lifecycle's
/// `Service`); ``samples()`` returns the latest sample of every target without waiting for any poll.
final class QMPCollector: Sendable {
    let monitors: [QMPMonitor]

    /// - Parameters:
    ///   - targets: the sockets to watch (each must be a socket no other client uses).
    ///   - configuration: shared poll settings.
    ///   - eventLoopGroup: where socket I/O runs.
    ///   - logger: base logger; each monitor adds `vm.name` and `qmp.socket`.
    init(targets: [QMPTarget], configuration: QMPConfiguration = .init(),
         eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.monitors = targets.map {
            QMPMonitor(target: $0, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        }
    }

    /// Polls all targets until the task is cancelled.
    func run() async throws {
        await withDiscardingTaskGroup { group in
            for monitor in self.monitors {
                group.addTask { await monitor.run() }
            }
        }
    }

    /// The latest sample of every target, in target order.
    func samples() -> [VMSample] {
        self.monitors.map(\.latest)
    }
}
