import Synchronization

/// Holds the latest published sweep: scrapes read it while the sampler prepares the next one.
final class LatestSweep: Sendable {
    private let latest = Mutex(CollectedSweep())

    var current: CollectedSweep { self.latest.withLock { $0 } }

    func set(_ sweep: CollectedSweep) {
        self.latest.withLock { $0 = sweep }
    }
}
