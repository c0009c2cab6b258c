import Synchronization

/// Bounds the samples `POST /api/v1/samples` takes per second: a token bucket refilled at `samplesPerSecond`, holding
/// at most `burstSeconds` of it, so a client that stays under the limit never loses a sample and one that goes over
/// is told when to come back (`429` with `Retry-After`) instead of having its samples dropped silently.
///
/// Time comes from `now` (monotonic seconds), so tests drive it.
final class PushRateLimit: Sendable {
    let samplesPerSecond: Double
    let capacity: Double
    private let now: @Sendable () -> Double
    private let bucket: Mutex<(tokens: Double, atSeconds: Double)>
    private let counts = Mutex<(accepted: UInt64, limited: UInt64)>((0, 0))

    init(samplesPerSecond: Double, burstSeconds: Double = 2, now: @escaping @Sendable () -> Double) {
        precondition(samplesPerSecond > 0 && burstSeconds > 0)
        self.samplesPerSecond = samplesPerSecond
        self.capacity = samplesPerSecond * burstSeconds
        self.now = now
        self.bucket = Mutex((samplesPerSecond * burstSeconds, now()))
    }

    /// Takes `count` samples if the bucket holds them; otherwise takes none and returns the seconds until it would.
    /// A batch larger than the whole bucket can never fit: it is refused with the time to refill the bucket, and the
    /// client should send smaller batches.
    func admit(_ count: Int) -> Double? {
        let now = self.now()
        let wait: Double? = self.bucket.withLock { bucket in
            bucket.tokens = min(self.capacity, bucket.tokens + max(0, now - bucket.atSeconds) * self.samplesPerSecond)
            bucket.atSeconds = now
            let needed = Double(count)
            if needed <= bucket.tokens {
                bucket.tokens -= needed
                return nil
            }
            return (min(needed, self.capacity) - bucket.tokens) / self.samplesPerSecond
        }
        self.counts.withLock { if wait == nil { $0.accepted += UInt64(count) } else { $0.limited += UInt64(count) } }
        return wait
    }

    var accepted: UInt64 { self.counts.withLock { $0.accepted } }
    var limited: UInt64 { self.counts.withLock { $0.limited } }
}
