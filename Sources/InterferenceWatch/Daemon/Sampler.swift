import Foundation
import Logging
import ServiceLifecycle

/// The collection loop: one sweep every interval, each handed to the ``SweepPublisher``.
///
/// Paced by an injected clock (tests drive it with a manual one); the sweep's timestamp comes from `wallClock`, the
/// Unix time stored with it, and its boot-clock time from `uptime`: read together, so ``ClockWatch`` tells a
/// stepped wall clock and the detectors take intervals from the clock that nobody steps.
struct Sampler<C: Clock>: Service where C.Duration == Duration {
    let runner: SweepRunnerBox
    let publisher: SweepPublisher
    let interval: Duration
    let clock: C
    let wallClock: @Sendable () -> Double
    let uptime: @Sendable () -> Double
    let clockWatch: ClockWatch
    let logger: Logger
    /// Run once, after the sweep one interval into the run: start-up is over by then (the first scrapes served).
    var afterStartup: (@Sendable () -> Void)?

    init(runner: SweepRunnerBox, publisher: SweepPublisher, interval: Duration, clock: C,
         wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
         uptime: @escaping @Sendable () -> Double = BootClock.seconds, clockWatch: ClockWatch? = nil, logger: Logger) {
        self.runner = runner
        self.publisher = publisher
        self.interval = interval
        self.clock = clock
        self.wallClock = wallClock
        self.uptime = uptime
        self.clockWatch = clockWatch ?? ClockWatch(logger: logger)
        self.logger = logger
    }

    func run() async throws {
        var ticker = PeriodicTicker(clock: self.clock, interval: self.interval)
        var ticks = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            ticker.startTick()
            ticks += 1
            self.sweepOnce()
            if ticks == 2 { self.afterStartup?() }
            guard await ticker.sleepUntilDue() else { break }
        }
        // The consumers' streams end after the last sweep, so they finish their work and return.
        self.publisher.finish()
        self.logger.info("sampler stopped")
    }

    func sweepOnce() {
        let wall = self.wallClock(), uptime = self.uptime()
        self.clockWatch.observe(wallSeconds: wall, uptimeSeconds: uptime)
        self.publisher.publish(self.runner.withRunner { $0.sweep(wallClockSeconds: wall, uptimeSeconds: uptime) })
    }
}
