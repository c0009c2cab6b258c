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
    var neighbours: [String: WorkloadSignals]
    /// Median of the active servers' medians: the latency series of group-wide findings.
    var groupMedian: Double?
}
