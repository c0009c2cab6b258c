#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A server's normal median latency, learned from windows where its host and workload were calm.
///
/// The estimate is the median of the last `capacity` calm-window medians: one odd window (a GC pause, a cold cache)
/// cannot move it, and it follows a lasting change (a new release) within `capacity / 2` calm windows. The daemon
/// persists it (it is `Codable`) so a restart does not forget what "normal" was.
public struct ServerBaseline: Sendable, Equatable, Codable {
    /// Calm-window medians in seconds, oldest first; at most `capacity` of them.
    public private(set) var calmMedians: [Double]
    /// How many calm medians to keep.
    public var capacity: Int

    public init(calmMedians: [Double] = [], capacity: Int = 20) {
        self.capacity = max(1, capacity)
        self.calmMedians = Array(calmMedians.filter { $0.isFinite && $0 > 0 }.suffix(self.capacity))
    }

    /// The baseline median latency in seconds; `nil` before any calm window.
    public var medianSeconds: Double? {
        LatencyStatistics.quantile(0.5, ofSorted: self.calmMedians.sorted())
    }

    /// How much calm medians scatter: 1.4826 × the median absolute deviation of their natural logarithms (a robust
    /// standard deviation in log space); `nil` with fewer than 3 calm windows. A noisy server (few samples, heavy
    /// tails) needs a larger ratio before one window counts as slowed down.
    public var logSpread: Double? {
        guard self.calmMedians.count >= 3 else { return nil }
        let logs = self.calmMedians.map { log($0) }.sorted()
        guard let center = LatencyStatistics.quantile(0.5, ofSorted: logs),
              let mad = LatencyStatistics.quantile(0.5, ofSorted: logs.map { abs($0 - center) }.sorted())
        else { return nil }
        return 1.4826 * mad
    }

    /// Number of calm windows the estimate rests on.
    public var windows: Int { self.calmMedians.count }

    /// Adds the median of a calm window. Infinite, zero and NaN medians are ignored: they are not "normal".
    public mutating func learn(medianSeconds: Double) {
        guard medianSeconds.isFinite, medianSeconds > 0 else { return }
        self.calmMedians.append(medianSeconds)
        if self.calmMedians.count > self.capacity {
            self.calmMedians.removeFirst(self.calmMedians.count - self.capacity)
        }
    }

    /// Window median over the baseline (the study's 1.26x / 1.53x / 1.84x); `nil` while fewer than
    /// `minimumWindows` calm windows were seen or when the window has no median.
    public func slowdownRatio(medianSeconds: Double?, minimumWindows: Int) -> Double? {
        guard let medianSeconds, self.windows >= max(1, minimumWindows), let base = self.medianSeconds, base > 0
        else { return nil }
        return medianSeconds / base
    }
}
