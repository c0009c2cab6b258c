/// A step of the wall clock between two readings: how far the wall clock moved beyond what the boot clock (which
/// nothing sets) measured over the same interval.
///
/// NTP corrects small offsets by slewing, at most 500 ppm, and steps the clock only for larger ones (ntpd and
/// chrony by default past 128 ms and 1 s); an operator's `date -s` steps it by any amount. So a difference of more
/// than ``toleranceSeconds`` plus ``slewFraction`` of the interval is a step, never a slew or scheduling jitter:
/// the two clocks are read back to back, and how late the reading is does not change their difference.
public struct ClockStep: Sendable, Equatable {
    public enum Direction: String, Sendable, Equatable, CaseIterable {
        case backward, forward
    }

    /// Steps below this are not reported (a slewing NTP daemon moves the clock less than 1 ms a second).
    public static let toleranceSeconds = 1.0
    /// Twice the most NTP slews, so a long interval between readings does not count slewing as a step.
    public static let slewFraction = 0.001

    /// The size of the step, positive forward.
    public var seconds: Double

    public init(seconds: Double) {
        self.seconds = seconds
    }

    public var direction: Direction { self.seconds < 0 ? .backward : .forward }

    /// The step between two readings of both clocks; `nil` when the clocks agree within the tolerance, or when the
    /// boot clock did not advance (another boot: there is nothing to compare against).
    public static func between(wallSeconds previousWall: Double, uptimeSeconds previousUptime: Double,
                               andWallSeconds wall: Double, uptimeSeconds uptime: Double) -> ClockStep? {
        let interval = uptime - previousUptime
        guard interval >= 0 else { return nil }
        let step = (wall - previousWall) - interval
        guard abs(step) > Self.toleranceSeconds + Self.slewFraction * interval else { return nil }
        return ClockStep(seconds: step)
    }

    /// The step between two sweeps; `nil` when either lacks its boot-clock time.
    public static func between(_ previous: Sweep, _ current: Sweep) -> ClockStep? {
        guard let then = previous.uptimeSeconds, let now = current.uptimeSeconds else { return nil }
        return Self.between(wallSeconds: previous.atSeconds, uptimeSeconds: then, andWallSeconds: current.atSeconds, uptimeSeconds: now)
    }
}
