/// What one server of a group did during one detection window, and the memory signals of its workload.
public struct ServerWindow: Sendable, Equatable, Codable {
    /// The server's stable name within its group (for example `api-1`); verdicts and baselines are keyed by it.
    public var server: String
    /// The workload (container, VM, unit) the server runs in, when known; names the subject of workload causes.
    public var workload: String?
    /// Latencies of the requests that succeeded, in seconds.
    public var latenciesSeconds: [Double]
    /// Requests that timed out or failed. They rank worse than any success and are never dropped.
    public var failures: Int
    /// Memory signals of the server's workload over the same window.
    public var signals: WorkloadSignals

    public init(server: String, workload: String? = nil, latenciesSeconds: [Double], failures: Int = 0,
                signals: WorkloadSignals = WorkloadSignals()) {
        self.server = server
        self.workload = workload
        self.latenciesSeconds = latenciesSeconds
        self.failures = failures
        self.signals = signals
    }
}
