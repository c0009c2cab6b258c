import Foundation

/// Runs blocking work (waiting for a child process, reading its pipes to the end, a polling loop with sleeps) on a
/// thread of its own and suspends the caller until it finishes.
///
/// Swift's cooperative pool has one thread per core, two on the test machine. A test that blocks one of them (a
/// `waitUntilExit` on a seven-minute lab run, `virsh` polled for a minute while libvirtd probes QEMU) halves what
/// every other test in the process gets; two at once stop them all, and their own timeouts (a QMP poll's, an
/// `eventually`'s) then run out on a clock that kept going while nothing was scheduled. So test helpers that block
/// do it here, never on the pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// ``offPool(_:)`` for work that cannot fail.
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.start()
    }
}

extension Process {
    /// Waits for the process to exit without holding a thread of the cooperative pool (see ``offPool(_:)``).
    func exited() async {
        nonisolated(unsafe) let process = self
        await offPool { process.waitUntilExit() }
    }

    /// Signals the process and returns at once; a thread of its own waits for the exit and then runs
    /// `cleanup`. For `defer` and `deinit`, which cannot suspend: a `waitUntilExit` there holds a thread of the pool
    /// for as long as the child takes to shut down (a daemon flushing its history, a Prometheus closing its TSDB),
    /// and the CI run showed a QMP test's monitor starved by such waits (see ``offPool(_:)``).
    func signalAndReap(_ signal: Int32 = SIGTERM, then cleanup: @escaping @Sendable () -> Void = {}) {
        nonisolated(unsafe) let process = self
        // Already gone (a test awaited ``exited()``, or `deinit` after `defer`): nothing to wait for.
        guard process.isRunning else { return cleanup() }
        kill(process.processIdentifier, signal)
        Thread {
            process.waitUntilExit()
            cleanup()
        }.start()
    }
}
