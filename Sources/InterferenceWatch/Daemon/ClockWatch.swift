import Detectors
import Foundation
import Logging
import Synchronization

/// Notices the wall clock being stepped (NTP, `date -s`) between two sweeps: logs each step once at warning, with
/// its direction and size, and counts it for `interferencewatch_clock_steps_total{direction}`.
///
/// The daemon keeps working through a step (intervals and rates come from the boot clock); the log line and the
/// counter say why stored times jump, and that the history around them repeats or skips that much time.
final class ClockWatch: Sendable {
    private struct State {
        var last: (wallSeconds: Double, uptimeSeconds: Double)?
        var stepsTotal: [ClockStep.Direction: UInt64] = [:]
    }

    private let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Takes the two clocks as read together at the start of a sweep; returns the step since the previous reading.
    @discardableResult
    func observe(wallSeconds: Double, uptimeSeconds: Double) -> ClockStep? {
        let (step, expected) = self.state.withLock { state -> (ClockStep?, Double?) in
            defer { state.last = (wallSeconds, uptimeSeconds) }
            guard let last = state.last,
                  let step = ClockStep.between(wallSeconds: last.wallSeconds, uptimeSeconds: last.uptimeSeconds,
                                               andWallSeconds: wallSeconds, uptimeSeconds: uptimeSeconds)
            else { return (nil, nil) }
            state.stepsTotal[step.direction, default: 0] += 1
            return (step, last.wallSeconds + (uptimeSeconds - last.uptimeSeconds))
        }
        guard let step, let expected else { return nil }
        self.logger.warning("wall clock stepped; intervals keep to the boot clock, stored times follow the wall clock", metadata: [
            "clock.direction": "\(step.direction.rawValue)",
            "clock.step_seconds": "\((abs(step.seconds) * 1000).rounded() / 1000)",
            "clock.expected": "\(TimeExpression.format(expected))", "clock.now": "\(TimeExpression.format(wallSeconds))",
        ])
        return step
    }

    /// Steps seen since start, by direction (both directions, zero included).
    var stepsTotal: [(direction: ClockStep.Direction, count: UInt64)] {
        self.state.withLock { state in ClockStep.Direction.allCases.map { ($0, state.stepsTotal[$0, default: 0]) } }
    }
}
