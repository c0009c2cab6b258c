/// Per-second rate of a monotonic counter between two samples.
///
/// - Returns: `nil` when either value is missing, the interval is not positive, or the counter went backwards
///   (a reset: a restarted workload, a recreated cgroup). Never a negative rate.
@inlinable
public func counterRate(previous: UInt64?, current: UInt64?, elapsedSeconds: Double) -> Double? {
    guard let previous, let current, elapsedSeconds > 0, current >= previous else { return nil }
    return Double(current - previous) / elapsedSeconds
}

/// The increase of a monotonic counter between two samples; `nil` on a reset or a missing value.
@inlinable
public func counterDelta(previous: UInt64?, current: UInt64?) -> UInt64? {
    guard let previous, let current, current >= previous else { return nil }
    return current - previous
}
