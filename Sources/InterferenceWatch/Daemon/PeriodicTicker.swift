import ServiceLifecycle

/// Paces a service loop at a fixed interval: the sampler's sweeps, detection windows, probe rounds, scrapes.
///
/// Ticks are due one interval apart, measured from when the previous one was due, so the work's own duration does
/// not drift the schedule. A tick that overruns starts the next one at once, without catching up on the missed ones
/// (a slow round must not be followed by a burst). Sleeping ends early on graceful shutdown.
struct PeriodicTicker<C: Clock> where C.Duration == Duration {
    private let clock: C
    private let interval: Duration
    private var next: C.Instant

    init(clock: C, interval: Duration) {
        self.clock = clock
        self.interval = interval
        self.next = clock.now
    }

    /// Marks the start of a tick's work: the next tick is due one interval after this one was.
    mutating func startTick() {
        self.next = self.next.advanced(by: self.interval)
    }

    /// Sleeps until the next tick is due.
    ///
    /// - Returns: `false` when the service is shutting down or cancelled: the loop should end.
    mutating func sleepUntilDue() async -> Bool {
        if self.next < self.clock.now { self.next = self.clock.now }
        let deadline = self.next, clock = self.clock
        do {
            try await cancelWhenGracefulShutdown { try await clock.sleep(until: deadline, tolerance: nil) }
        } catch {
            return false
        }
        return !Task.isCancelled && !Task.isShuttingDownGracefully
    }
}
