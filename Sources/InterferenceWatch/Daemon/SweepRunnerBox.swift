import Foundation

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
