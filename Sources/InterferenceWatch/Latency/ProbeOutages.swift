import Detectors
import Synchronization

/// Which probed servers are failing, so a failing server is logged once per outage (and again only when the way it
/// fails changes), and its recovery once, instead of every round.
final class ProbeOutages: Sendable {
    /// What a round's sample changed for its server.
    enum Change: Equatable, Sendable {
        /// The server started failing, or now fails differently (`timeout`, `connection refused`, `status 500`...).
        case failing(problem: String)
        /// The server answered again after `failedRounds` failed rounds.
        case recovered(failedRounds: Int)
    }

    private struct Outage {
        var problem: String
        var failedRounds: Int
    }

    private let outages = Mutex<[String: Outage]>([:])

    /// Records one probe of `server`; `nil` when nothing changed (still answering, or failing the same way).
    func record(server: String, outcome: LatencySample.Outcome) -> Change? {
        self.outages.withLock { outages in
            switch outcome {
            case .success:
                guard let outage = outages.removeValue(forKey: server) else { return nil }
                return .recovered(failedRounds: outage.failedRounds)
            case .timeout, .error:
                let problem = Self.problem(outcome)
                let previous = outages[server]
                outages[server] = Outage(problem: problem, failedRounds: (previous?.failedRounds ?? 0) + 1)
                return previous?.problem == problem ? nil : .failing(problem: problem)
            }
        }
    }

    /// Servers failing now.
    var failing: [String] { self.outages.withLock { $0.keys.sorted() } }

    private static func problem(_ outcome: LatencySample.Outcome) -> String {
        switch outcome {
        case .success: "none"
        case .timeout: "timeout"
        case .error(let reason): reason
        }
    }
}
