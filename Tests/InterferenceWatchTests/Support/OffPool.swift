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
}
