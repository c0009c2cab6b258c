/// One latency observation of one server, from a probe round, a scraped histogram or a push.
///
/// Failures are samples too: a timed-out or failed probe is recorded with ``Outcome/timeout`` or ``Outcome/error(_:)``
/// and `seconds == 0`, never dropped, so a server that stops answering shows up as such rather than as silence.
struct LatencySample: Sendable, Equatable {
    enum Source: String, Sendable, CaseIterable {
        /// Our own GET, timed from send to the last body byte.
        case probe
        /// Reconstructed from the delta of the server's own Prometheus histogram (bucket midpoints).
        case scrape
        /// Sent to `POST /api/v1/samples` by the client or the server.
        case push
    }

    enum Outcome: Sendable, Equatable {
        case success
        case timeout
        /// A short reason: `connection refused`, `status 500`, `body larger than 1048576 bytes`.
        case error(String)
    }

    var group: String
    var server: String
    var source: Source
    /// Client-observed latency (probe), or the pushed / scraped value; 0 for failures.
    var seconds: Double
    /// The W3C `Server-Timing` `task;dur=` value converted to seconds, when the server sent one.
    var serverSeconds: Double?
    var outcome: Outcome
    /// Unix time the request started (probe) or the sample time (scrape, push).
    var atSeconds: Double

    init(group: String, server: String, source: Source, seconds: Double, serverSeconds: Double? = nil,
         outcome: Outcome = .success, atSeconds: Double) {
        self.group = group
        self.server = server
        self.source = source
        self.seconds = seconds
        self.serverSeconds = serverSeconds
        self.outcome = outcome
        self.atSeconds = atSeconds
    }
}
