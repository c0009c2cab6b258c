#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A histogram of byte sizes whose older samples weigh less, as the Kubernetes VPA recommender keeps memory peaks.
///
/// Buckets grow by 5 % from 1 MiB to 1 TiB (VPA uses 5 % from 10 MB; the lower start serves the small scoped hosts
/// the lab emulates). Each bucket also keeps the largest sample it holds, and a percentile answers with that: never
/// below the samples it stands for, and not the bucket's upper edge, which would add up to 5 % to every estimate. A sample's weight is `2^((t - reference) / halfLife)`:
/// instead of shrinking every old weight as time passes, new ones grow, which gives the same ratios; when they grow
/// too large all weights are divided down and the reference moves (VPA does the same).
///
/// Stored inside the advisor's state: sparse (only buckets with weight), and bounded by the bucket count (284).
public struct DecayingHistogram: Sendable, Equatable, Codable {
    public static let firstBucketBytes: Double = 1_048_576
    public static let growth: Double = 1.05
    /// Bucket 0 holds everything below 1 MiB; bucket `i` holds `[first * growth^(i-1), first * growth^i)`.
    public static let bucketCount = 1 + Int((log(Double(1 << 40) / firstBucketBytes) / log(growth)).rounded(.up))

    public var halfLifeSeconds: Double
    /// The time at which a new sample weighs 1.
    public private(set) var referenceSeconds: Double
    /// Bucket index to weight; only buckets with weight.
    public private(set) var weights: [Int: Double] = [:]
    /// Bucket index to the largest sample it holds.
    public private(set) var maxima: [Int: Double] = [:]

    public init(halfLifeSeconds: Double, referenceSeconds: Double) {
        precondition(halfLifeSeconds > 0)
        self.halfLifeSeconds = halfLifeSeconds
        self.referenceSeconds = referenceSeconds
    }

    public var isEmpty: Bool { self.weights.isEmpty }

    static func bucket(of bytes: Double) -> Int {
        guard bytes >= self.firstBucketBytes else { return 0 }
        let index = Int((log(bytes / self.firstBucketBytes) / log(self.growth)).rounded(.down)) + 1
        return min(index, self.bucketCount - 1)
    }

    /// The upper edge of a bucket (for a bucket whose largest sample is unknown).
    static func upperEdge(of bucket: Int) -> Double {
        self.firstBucketBytes * pow(self.growth, Double(bucket))
    }

    /// Adds a sample of `bytes` taken at `atSeconds`.
    public mutating func add(_ bytes: Double, atSeconds: Double) {
        var exponent = (atSeconds - self.referenceSeconds) / self.halfLifeSeconds
        // 2^64 is far from overflow yet keeps a ratio of 2^-64 to the oldest weights meaningful; past it, rebase.
        if exponent > 64 {
            let shift = exponent.rounded(.down)
            let factor = pow(2, -shift)
            self.weights = self.weights.compactMapValues { weight in
                let scaled = weight * factor
                return scaled > 1e-12 ? scaled : nil  // below a trillionth of a fresh sample: gone.
            }
            self.maxima = self.maxima.filter { self.weights[$0.key] != nil }
            self.referenceSeconds += shift * self.halfLifeSeconds
            exponent -= shift
        }
        let bucket = Self.bucket(of: max(0, bytes))
        self.weights[bucket, default: 0] += pow(2, exponent)
        self.maxima[bucket] = max(self.maxima[bucket] ?? 0, max(0, bytes))
    }

    /// Moves the reference `seconds` later, so samples added that much later weigh what they would have without
    /// the wall clock's step forward.
    public mutating func shiftTimes(bySeconds seconds: Double) {
        self.referenceSeconds += seconds
    }

    /// The largest sample of the first bucket at which `fraction` (0...1) of the weight is reached, counting one
    /// extra sample (`extra`, for the peak of the interval still open) at `extraAtSeconds`; `nil` when there is nothing.
    public func percentile(_ fraction: Double, extra: Double? = nil, extraAtSeconds: Double = 0) -> Double? {
        var weights = self.weights, maxima = self.maxima
        if let extra {
            let bucket = Self.bucket(of: max(0, extra))
            weights[bucket, default: 0] += pow(2, (extraAtSeconds - self.referenceSeconds) / self.halfLifeSeconds)
            maxima[bucket] = max(maxima[bucket] ?? 0, max(0, extra))
        }
        let total = weights.values.reduce(0, +)
        guard total > 0 else { return nil }
        let threshold = total * min(max(fraction, 0), 1)
        var running = 0.0
        let ordered = weights.keys.sorted()
        for bucket in ordered {
            running += weights[bucket]!
            // The small tolerance keeps P100 from missing the last bucket to rounding.
            if running >= threshold * (1 - 1e-12) { return maxima[bucket] ?? Self.upperEdge(of: bucket) }
        }
        return maxima[ordered.last!] ?? Self.upperEdge(of: ordered.last!)
    }

    private enum CodingKeys: String, CodingKey { case halfLifeSeconds, referenceSeconds, buckets, weights, maxima }

    /// Buckets and weights as two parallel arrays, in bucket order: JSON keys must be strings.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.halfLifeSeconds, forKey: .halfLifeSeconds)
        try c.encode(self.referenceSeconds, forKey: .referenceSeconds)
        let ordered = self.weights.keys.sorted()
        try c.encode(ordered, forKey: .buckets)
        try c.encode(ordered.map { self.weights[$0]! }, forKey: .weights)
        try c.encode(ordered.map { self.maxima[$0] ?? Self.upperEdge(of: $0) }, forKey: .maxima)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.halfLifeSeconds = try c.decode(Double.self, forKey: .halfLifeSeconds)
        self.referenceSeconds = try c.decode(Double.self, forKey: .referenceSeconds)
        let buckets = try c.decodeIfPresent([Int].self, forKey: .buckets) ?? []
        let weights = try c.decodeIfPresent([Double].self, forKey: .weights) ?? []
        let maxima = try c.decodeIfPresent([Double].self, forKey: .maxima) ?? buckets.map { Self.upperEdge(of: $0) }
        guard buckets.count == weights.count, buckets.count == maxima.count, self.halfLifeSeconds > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .weights, in: c, debugDescription: "buckets, weights and maxima differ in length")
        }
        for (index, bucket) in buckets.enumerated() where (0..<Self.bucketCount).contains(bucket) && weights[index] > 0 {
            self.weights[bucket] = weights[index]
            self.maxima[bucket] = maxima[index]
        }
    }
}
