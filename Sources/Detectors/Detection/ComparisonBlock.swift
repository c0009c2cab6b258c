/// The samples one peer comparison uses: a window's, with those of the windows before it that were too sparse to
/// compare (fewer than two servers with enough samples). A window of two requests per server is no evidence either
/// way; counting it as a clean window would wipe out the evidence of the windows before it, so its samples wait
/// for the next window instead.
struct ComparisonBlock: Sendable, Equatable, Codable {
    /// Start of the oldest pooled window.
    var startSeconds: Double
    /// Windows pooled so far.
    var windows = 0
    /// Per server, successful latencies in seconds.
    var latencies: [String: [Double]] = [:]
    /// Per server, failed requests.
    var failures: [String: Int] = [:]
    var rounds: [LatencyRound] = []

    init(startSeconds: Double) {
        self.startSeconds = startSeconds
    }

    /// Adds one window's samples.
    mutating func add(_ servers: [ServerWindow], rounds: [LatencyRound]) {
        self.windows += 1
        for server in servers {
            // A server new to the block shares the window's array instead of copying it (most blocks hold one window).
            if self.latencies[server.server] == nil {
                self.latencies[server.server] = server.latenciesSeconds
            } else {
                self.latencies[server.server]! += server.latenciesSeconds
            }
            self.failures[server.server, default: 0] += max(0, server.failures)
        }
        self.rounds += rounds
    }

    /// Server names, sorted.
    var servers: [String] { Set(self.latencies.keys).union(self.failures.keys).sorted() }
}
