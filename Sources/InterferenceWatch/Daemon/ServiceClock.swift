/// A concrete clock for the daemon's long-lived pollers (QMP monitors and fleet, libvirt loops), so each takes an
/// injected clock without becoming generic: production uses ``continuous``, tests a manual source they advance.
struct ServiceClock: Clock {
    /// Where time comes from.
    protocol Source: Sendable {
        /// Time since the source's own origin.
        func now() -> Duration
        /// Returns once `now() >= deadline`; throws on cancellation.
        func sleep(until deadline: Duration) async throws
    }

    struct Instant: InstantProtocol {
        var offset: Duration

        func advanced(by duration: Duration) -> Instant { Instant(offset: self.offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - self.offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    let source: any Source

    /// The monotonic system clock (`ContinuousClock`).
    static let continuous = ServiceClock(source: ContinuousSource())

    var now: Instant { Instant(offset: self.source.now()) }
    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try await self.source.sleep(until: deadline.offset)
    }

    private struct ContinuousSource: Source {
        let origin = ContinuousClock.now

        func now() -> Duration { self.origin.duration(to: ContinuousClock.now) }

        func sleep(until deadline: Duration) async throws {
            try await ContinuousClock().sleep(until: self.origin.advanced(by: deadline), tolerance: nil)
        }
    }
}
