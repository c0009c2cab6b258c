/// What the detector keeps of a past window for attribution: medians and signals, not the raw latencies.
struct WindowRecord: Sendable, Equatable, Codable {
    struct Server: Sendable, Equatable, Codable {
        var workload: String?
        /// Median latency (may be `+infinity`); `nil` when the server had no request.
        var median: Double?
        /// Out of line, and not kept at all when every signal is absent (a server with no workload): the detector
        /// keeps 120 windows of every server, and inline, the 15 optional signals were 240 of the 272 bytes each one
        /// took, most of a window's record, growing for the first hour.
        private var boxed: [WorkloadSignals]
        var signals: WorkloadSignals { self.boxed.first ?? WorkloadSignals() }

        init(workload: String?, median: Double?, signals: WorkloadSignals) {
            self.workload = workload
            self.median = median
            self.boxed = signals == WorkloadSignals() ? [] : [signals]
        }

        // The stored form is unchanged: `signals` is always written, as before.
        private enum CodingKeys: String, CodingKey { case workload, median, signals }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(workload: try container.decodeIfPresent(String.self, forKey: .workload),
                      median: try container.decodeIfPresent(Double.self, forKey: .median),
                      signals: try container.decode(WorkloadSignals.self, forKey: .signals))
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(self.workload, forKey: .workload)
            try container.encodeIfPresent(self.median, forKey: .median)
            try container.encode(self.signals, forKey: .signals)
        }
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
