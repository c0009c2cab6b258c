/// One detection window of one group of co-located servers doing the same work: the unit a detector ingests.
public struct GroupWindow: Sendable, Equatable, Codable {
    /// The group's name (for example `web`).
    public var group: String
    /// Start of the window, seconds since the Unix epoch.
    public var startSeconds: Double
    /// End of the window, seconds since the Unix epoch.
    public var endSeconds: Double
    /// One entry per server. Order does not matter: detectors sort by ``ServerWindow/server``, and entries with the
    /// same name are merged (latencies joined, failures added).
    public var servers: [ServerWindow]
    /// The rounds of simultaneous requests among the servers' samples (``LatencyRound/rounds(of:)``); the same
    /// samples are also in ``servers``. With enough of them the peer comparison is made within rounds.
    public var rounds: [LatencyRound]
    /// Host-wide signals over the window.
    public var host: HostSignals
    /// The other workloads on the host (not servers of this group), keyed by workload name: candidate antagonists.
    public var neighbours: [String: WorkloadSignals]

    public init(group: String, startSeconds: Double, endSeconds: Double, servers: [ServerWindow],
                rounds: [LatencyRound] = [], host: HostSignals = HostSignals(),
                neighbours: [String: WorkloadSignals] = [:]) {
        self.group = group
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
        self.servers = servers
        self.rounds = rounds
        self.host = host
        self.neighbours = neighbours
    }
}
