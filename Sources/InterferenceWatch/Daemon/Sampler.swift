import Foundation
import Logging
import ServiceLifecycle

/// The collection loop: one sweep every interval, each published as the new snapshot.
struct Sampler: Service {
    let runner: SweepRunnerBox
    let store: SnapshotStore
    let interval: Duration
    let logger: Logger
    /// Called with every snapshot right after it is published (the host-RAM advisor records it).
    var onPublish: @Sendable (Snapshot) -> Void = { _ in }

    func run() async throws {
        var ticker = PeriodicTicker(clock: ContinuousClock(), interval: self.interval)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            ticker.startTick()
            self.sweepOnce()
            guard await ticker.sleepUntilDue() else { break }
        }
        self.logger.info("sampler stopped")
    }

    func sweepOnce() {
        let snapshot = self.runner.withRunner { $0.sweep(wallClockSeconds: Date().timeIntervalSince1970) }
        self.store.publish(snapshot)
        self.onPublish(snapshot)
    }
}

/// Lets the sendable ``Sampler`` own the non-sendable ``SweepRunner``: every access goes through one lock.
final class SweepRunnerBox: @unchecked Sendable {
    // The lock serialises all use of `runner`, which is the only state; hence @unchecked.
    private let lock = NSLock()
    private let runner: SweepRunner

    init(_ runner: SweepRunner) {
        self.runner = runner
    }

    func withRunner<T>(_ body: (SweepRunner) -> T) -> T {
        self.lock.lock()
        defer { self.lock.unlock() }
        return body(self.runner)
    }
}
