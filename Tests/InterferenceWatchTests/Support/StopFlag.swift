import Synchronization

/// Tells a helper thread to end its loop (a loop on a thread of its own, so a pool starved by the rest of the suite
/// cannot stall it).
final class StopFlag: Sendable {
    private let stopped = Atomic<Bool>(false)
    var isStopped: Bool { self.stopped.load(ordering: .acquiring) }
    func stop() { self.stopped.store(true, ordering: .releasing) }
}
