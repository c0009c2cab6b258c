import ServiceLifecycle

/// Hands malloc's free pages back to the kernel once a second (``MallocTuning/releaseFreePages()``).
///
/// glibc returns only the top of its heap on its own. Everything the daemon frees between live blocks stays resident
/// until a trim: a sweep's parse of a thousand cgroups, the render of `/metrics` after it, a closed detection
/// window's samples and sorted copies, push bodies, the requests of hundreds of scrapers. Trimmed once per sweep,
/// that garbage stayed resident for the rest of the interval, 2 to 5 MiB of a 15 s interval under load (bench/README.md,
/// "Free pages returned every second"). Once a second it stays at most a second, for a few hundred microseconds of
/// CPU a second. Paced by an injected clock, as every loop of the daemon.
struct FreePageReleaser<C: Clock>: Service where C.Duration == Duration {
    let clock: C
    let interval: Duration
    let release: @Sendable () -> Void

    init(clock: C, interval: Duration = .seconds(1), release: @escaping @Sendable () -> Void = MallocTuning.releaseFreePages) {
        self.clock = clock
        self.interval = interval
        self.release = release
    }

    func run() async throws {
        var ticker = PeriodicTicker(clock: self.clock, interval: self.interval)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            ticker.startTick()
            self.release()
            guard await ticker.sleepUntilDue() else { break }
        }
    }
}
