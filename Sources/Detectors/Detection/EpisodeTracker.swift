/// m-of-n debouncing with hysteresis for one kind of finding about one subject (CPI2: 3 outliers in 5 minutes).
///
/// Raises when at least `m` of the last `n` recorded windows were hits. Once raised it stays raised until `n`
/// consecutive windows are clean: a server that is slow only most of the time must not flap between raised and
/// resolved, and a single noisy hit inside a real episode must not re-raise a fresh episode with a new start.
///
/// With an evidence level, the hits must also be backed by evidence: every outcome carries its window's rank-sum
/// deviation and variance (van Elteren's scale, see ``AlignedRankTest/deviation``), and the tracker raises only when
/// the windows from one of its hits to the latest one, taken together, give `p < evidenceAlpha` (the strongest such
/// run of windows counts). A few sparse windows are weak evidence each; several that agree add up.
struct EpisodeTracker: Sendable, Equatable, Codable {
    struct Outcome: Sendable, Equatable, Codable {
        var startSeconds: Double
        var hit: Bool
        /// The window's rank-sum deviation and its null variance; 0 when nothing was compared.
        var deviation: Double = 0
        var variance: Double = 0
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

    /// - Parameters:
    ///   - deviation, variance: the window's evidence (see the type's documentation).
    ///   - evidenceAlpha: when set, raising also needs ``evidencePValue`` below it.
    mutating func record(hit: Bool, startSeconds: Double, m: Int, n: Int, deviation: Double = 0, variance: Double = 0,
                         evidenceAlpha: Double? = nil) -> Transition {
        self.outcomes.append(Outcome(startSeconds: startSeconds, hit: hit, deviation: deviation, variance: variance))
        if self.outcomes.count > n { self.outcomes.removeFirst(self.outcomes.count - n) }
        let hits = self.outcomes.count(where: \.hit)
        if !self.isActive, hits >= m {
            if let evidenceAlpha {
                // The episode starts where its evidence does, not at an earlier chance hit.
                guard let evidence = self.evidence, evidence.pValue < evidenceAlpha else { return .none }
                self.sinceSeconds = evidence.startSeconds
            } else {
                self.sinceSeconds = self.outcomes.first(where: \.hit)?.startSeconds ?? startSeconds
            }
            return .raised
        }
        if self.isActive, hits == 0, self.outcomes.count >= n {
            self.sinceSeconds = nil
            self.before = [:]
            return .resolved
        }
        return .none
    }

    /// The strongest run of windows that starts at a hit and ends at the latest window: its one-sided p-value
    /// (`Z = Σ deviation / √(Σ variance)` over the run, `p = P(N(0,1) >= Z)`) and the start of its first window.
    /// `nil` without a hit or any variance.
    ///
    /// Taking the best start keeps the evidence monotone (a slower server never has less of it) at the price of a
    /// few looks: at most `n` runs are tried, so the false-raise rate stays below `n` times the level.
    var evidence: (pValue: Double, startSeconds: Double)? {
        var deviation = 0.0, variance = 0.0
        var best: (z: Double, startSeconds: Double)?
        for outcome in self.outcomes.reversed() {
            deviation += outcome.deviation
            variance += outcome.variance
            guard outcome.hit, variance > 0 else { continue }
            let z = deviation / variance.squareRoot()
            if best.map({ z > $0.z }) ?? true { best = (z, outcome.startSeconds) }
        }
        return best.map { (MannWhitneyU.upperTail($0.z), $0.startSeconds) }
    }
}
