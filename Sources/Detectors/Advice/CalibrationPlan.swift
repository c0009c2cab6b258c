/// What a calibration will do, worked out before it touches anything (`calibrate --dry-run` prints it).
///
/// Pressure rises by one step at a time from nothing, and never past the smaller of two bounds: the hard ceiling
/// (the allocator's own cgroup limit, default the installed size) and the reserve: available memory plus free swap
/// must stay above `reserveBytes` after the step, so the host (or capacity cgroup) never runs out.
public struct CalibrationPlan: Sendable, Equatable, Encodable {
    public var stepBytes: UInt64
    public var ceilingBytes: UInt64
    public var reserveBytes: UInt64
    /// Bytes allocated at each step; the first is 0 (the calm reference).
    public var steps: [UInt64]
    /// `ceiling` or `reserve`: which bound ends the plan.
    public var limitedBy: String
    public var windowsPerStep: Int
    public var timeLimitSeconds: Double
    public var capacityBytes: UInt64
    public var availableBytes: UInt64
    public var swapFreeBytes: UInt64
    public var capacityCgroup: String?
    /// The cgroup directory the allocator runs in.
    public var allocatorCgroup: String

    public init(stepBytes: UInt64, ceilingBytes: UInt64?, reserveBytes: UInt64, windowsPerStep: Int, timeLimitSeconds: Double,
                capacityBytes: UInt64, availableBytes: UInt64, swapFreeBytes: UInt64, capacityCgroup: String?, allocatorCgroup: String) {
        precondition(stepBytes > 0 && windowsPerStep > 0)
        let ceiling = min(ceilingBytes ?? capacityBytes, capacityBytes)
        let room = availableBytes + swapFreeBytes
        let byReserve = room > reserveBytes ? room - reserveBytes : 0
        self.stepBytes = stepBytes
        self.ceilingBytes = ceiling
        self.reserveBytes = reserveBytes
        self.limitedBy = byReserve < ceiling ? "reserve" : "ceiling"
        let top = min(ceiling, byReserve)
        self.steps = [0] + (0..<Int(top / stepBytes)).map { UInt64($0 + 1) * stepBytes }
        self.windowsPerStep = windowsPerStep
        self.timeLimitSeconds = timeLimitSeconds
        self.capacityBytes = capacityBytes
        self.availableBytes = availableBytes
        self.swapFreeBytes = swapFreeBytes
        self.capacityCgroup = capacityCgroup
        self.allocatorCgroup = allocatorCgroup
    }

    /// Whether one more step fits the reserve now (the plan was made with the figures at the start).
    public func fitsReserve(availableBytes: UInt64, swapFreeBytes: UInt64) -> Bool {
        availableBytes + swapFreeBytes >= self.reserveBytes + self.stepBytes
    }
}
