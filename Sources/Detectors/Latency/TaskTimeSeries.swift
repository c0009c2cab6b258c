/// Task time over time for charts: each server's median task time per time bucket (failures left out, as the
/// study's figures show task times).
public enum TaskTimeSeries {
    /// - Returns: per server, `[time, median seconds]` at the middle of every bucket `[from + k·bucket, from + (k+1)·bucket)`
    ///   that holds a success, oldest first.
    public static func medians(_ samples: [LatencySample], from: Double, bucketSeconds: Double) -> [String: [[Double]]] {
        let bucket = max(bucketSeconds, 1e-9)
        var buckets: [String: [Int: [Double]]] = [:]
        for sample in samples {
            guard let seconds = sample.taskSeconds else { continue }
            buckets[sample.server, default: [:]][Int(((sample.arrivalSeconds - from) / bucket).rounded(.down)), default: []].append(seconds)
        }
        return buckets.mapValues { byBucket in
            byBucket.keys.sorted().map { key in
                let values = byBucket[key]!.sorted()
                return [from + (Double(key) + 0.5) * bucket, values[values.count / 2]]
            }
        }
    }
}
