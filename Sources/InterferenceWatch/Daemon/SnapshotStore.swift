import Synchronization

/// Holds the latest published snapshot; scrapes read it while the sampler prepares the next one.
final class SnapshotStore: Sendable {
    private let latest = Mutex(Snapshot())

    var current: Snapshot { self.latest.withLock { $0 } }

    func publish(_ snapshot: Snapshot) {
        self.latest.withLock { $0 = snapshot }
    }
}
