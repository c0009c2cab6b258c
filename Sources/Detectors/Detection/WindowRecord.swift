/// What the detector keeps of a past window for attribution: medians and signals, not the raw latencies.
struct WindowRecord: Sendable, Equatable, Codable {
    struct Server: Sendable, Equatable, Codable {
        var workload: String?
        /// Median latency (may be `+infinity`); `nil` when the server had no request.
        var median: Double?
        var signals: WorkloadSignals
    }

    var startSeconds: Double
    var endSeconds: Double
    /// Keyed by server name.
    var servers: [String: Server]
    var host: HostSignals
    /// The neighbour workloads (sorted) and their memory usage (NaN when unknown), the one neighbour signal
    /// attribution reads. Two arrays rather than each window's whole signal dictionary: a detector keeps 120
    /// windows, and on a 1000-container host those dictionaries were megabytes that grew for the first hour. A
    /// window with the same neighbours as the one before shares its name array.
    var neighbourNames: [String]
    var neighbourUsageBytes: [Double]
    /// Median of the active servers' medians: the latency series of group-wide findings.
    var groupMedian: Double?

    /// The neighbour's memory usage in this window, if it was there and known.
    func neighbourUsage(_ name: String) -> Double? {
        var low = 0, high = self.neighbourNames.count
        while low < high {
            let mid = (low + high) / 2
            if self.neighbourNames[mid] < name { low = mid + 1 } else { high = mid }
        }
        guard low < self.neighbourNames.count, self.neighbourNames[low] == name else { return nil }
        let usage = self.neighbourUsageBytes[low]
        return usage.isNaN ? nil : usage
    }
}
