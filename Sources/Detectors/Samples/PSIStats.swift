/// One line of a pressure stall information file (`/proc/pressure/*`, cgroup v2 `*.pressure`).
///
/// Kernel format (Documentation/accounting/psi.rst):
/// ```
/// some avg10=0.00 avg60=0.00 avg300=0.00 total=0
/// full avg10=0.00 avg60=0.00 avg300=0.00 total=0
/// ```
public struct PSILine: Sendable, Equatable, Codable {
    /// `avg10`, percent of wall time over the last 10 s.
    public var avg10Percent: Double
    /// `avg60`, percent.
    public var avg60Percent: Double
    /// `avg300`, percent.
    public var avg300Percent: Double
    /// `total`, cumulative stall time in microseconds (monotonic).
    public var totalMicroseconds: UInt64

    public init(avg10Percent: Double, avg60Percent: Double, avg300Percent: Double, totalMicroseconds: UInt64) {
        self.avg10Percent = avg10Percent
        self.avg60Percent = avg60Percent
        self.avg300Percent = avg300Percent
        self.totalMicroseconds = totalMicroseconds
    }
}

/// A whole PSI file: `some` is always there; `full` is absent for `cpu` on kernels before 5.13.
public struct PSIStats: Sendable, Equatable, Codable {
    /// Time at least one task was stalled.
    public var some: PSILine
    /// Time all non-idle tasks were stalled at once.
    public var full: PSILine?

    public init(some: PSILine, full: PSILine?) {
        self.some = some
        self.full = full
    }
}

/// The resources the kernel reports pressure for.
/// `CodingKeyRepresentable`, so a `[PSIResource: PSIStats]` is stored as a JSON object keyed by name.
public enum PSIResource: String, Sendable, Codable, CodingKeyRepresentable, CaseIterable {
    case memory, cpu, io
}
