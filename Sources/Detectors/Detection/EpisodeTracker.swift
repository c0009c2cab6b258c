/// m-of-n debouncing with hysteresis for one kind of finding about one subject (CPI2: 3 outliers in 5 minutes).
///
/// Raises when at least `m` of the last `n` recorded windows were hits. Once raised it stays raised until `n`
/// consecutive windows are clean: a server that is slow only most of the time must not flap between raised and
/// resolved, and a single noisy hit inside a real episode must not re-raise a fresh episode with a new start.
struct EpisodeTracker: Sendable, Equatable, Codable {
    struct Outcome: Sendable, Equatable, Codable {
        var startSeconds: Double
        var hit: Bool
    }

    enum Transition: Sendable, Equatable {
        case none, raised, resolved
    }

    /// The last `n` outcomes, oldest first.
    private(set) var outcomes: [Outcome] = []
    /// Start of the episode's first window while raised.
    private(set) var sinceSeconds: Double?
    /// Latest ratio seen (peer ratio or slowdown ratio), reported in the finding.
    var lastRatio: Double?
    /// Cause values before the episode, frozen when it was raised so that a long episode keeps its "before" after
    /// the windows that preceded it have left the bounded history. Keyed by ``GroupDetector`` cause keys.
    var before: [String: Double] = [:]

    var isActive: Bool { self.sinceSeconds != nil }
    /// Nothing to remember: no hit in the window and not raised.
    var isIdle: Bool { !self.isActive && !self.outcomes.contains(where: \.hit) }

    mutating func record(hit: Bool, startSeconds: Double, m: Int, n: Int) -> Transition {
        self.outcomes.append(Outcome(startSeconds: startSeconds, hit: hit))
        if self.outcomes.count > n { self.outcomes.removeFirst(self.outcomes.count - n) }
        let hits = self.outcomes.count(where: \.hit)
        if !self.isActive, hits >= m {
            self.sinceSeconds = self.outcomes.first(where: \.hit)?.startSeconds ?? startSeconds
            return .raised
        }
        if self.isActive, hits == 0, self.outcomes.count >= n {
            self.sinceSeconds = nil
            self.before = [:]
            return .resolved
        }
        return .none
    }
}
