import Testing
@testable import Detectors

/// The `.imbalance` debouncing counts evidence, not windows: hits must agree and add up.
struct EvidenceDebounceTests {
    @Test func hitsWithoutEnoughEvidenceDoNotRaise() {
        var weak = EpisodeTracker()
        for index in 0..<5 {
            // Three slow windows in five, each barely off the null.
            let hit = index % 2 == 0
            #expect(weak.record(hit: hit, startSeconds: Double(index), m: 3, n: 5, deviation: hit ? 0.2 : 0,
                                variance: 1, evidenceAlpha: 1e-5) == .none)
        }
        #expect(!weak.isActive)
        #expect((weak.evidence?.pValue ?? 0) > 0.1)

        var strong = EpisodeTracker()
        var transitions: [EpisodeTracker.Transition] = []
        for index in 0..<3 {
            // Each window alone is z = 2.6 (p = 0.005); three together are z = 4.5.
            transitions.append(strong.record(hit: true, startSeconds: Double(index), m: 3, n: 5, deviation: 2.6,
                                             variance: 1, evidenceAlpha: 1e-5))
        }
        #expect(transitions == [.none, .none, .raised])
        #expect(strong.sinceSeconds == 0)
    }

    @Test func theEpisodeStartsWhereItsEvidenceDoesNotAtAnEarlierChanceHit() {
        var tracker = EpisodeTracker()
        let windows: [(hit: Bool, deviation: Double)] = [(true, 0.5), (false, -1), (false, -1), (true, 3), (true, 3), (true, 3)]
        var raisedAt: Int?
        for (index, window) in windows.enumerated() {
            if tracker.record(hit: window.hit, startSeconds: Double(index * 30), m: 3, n: 5, deviation: window.deviation,
                              variance: 1, evidenceAlpha: 1e-5) == .raised {
                raisedAt = index
            }
        }
        #expect(raisedAt == 5)
        #expect(tracker.sinceSeconds == 90, "since \(String(describing: tracker.sinceSeconds))")
    }

    @Test func moreDeviationNeverWeakensTheEvidence() {
        var a = EpisodeTracker(), b = EpisodeTracker()
        let deviations = [0.1, 2, -0.5, 1.5, 2.5, 0.3, 1]
        for (index, deviation) in deviations.enumerated() {
            _ = a.record(hit: deviation > 1, startSeconds: Double(index), m: 3, n: 5, deviation: deviation, variance: 1,
                         evidenceAlpha: 1e-5)
            // b saw a slower server: every deviation larger, and the first window slow too.
            _ = b.record(hit: deviation > 1 || index == 0, startSeconds: Double(index), m: 3, n: 5,
                         deviation: deviation + 0.5, variance: 1, evidenceAlpha: 1e-5)
            #expect((b.evidence?.pValue ?? 1) <= (a.evidence?.pValue ?? 1), "window \(index)")
        }
    }

    @Test func withoutAnEvidenceLevelItIsPlainMOfN() {
        var tracker = EpisodeTracker()
        #expect(tracker.record(hit: true, startSeconds: 0, m: 2, n: 3) == .none)
        #expect(tracker.record(hit: true, startSeconds: 1, m: 2, n: 3) == .raised)
        for index in 2..<5 { _ = tracker.record(hit: false, startSeconds: Double(index), m: 2, n: 3) }
        #expect(!tracker.isActive)
    }

    @Test func roundsAreSamplesThatShareTheirRequestTime() {
        func sample(_ server: String, _ seconds: Double, at: Double, source: LatencySample.Source = .probe,
                    failed: Bool = false) -> LatencySample {
            LatencySample(group: "g", server: server, source: source, seconds: seconds,
                          outcome: failed ? .timeout : .success, atSeconds: at)
        }
        let samples = [
            sample("a", 1, at: 10), sample("b", 2, at: 10), sample("c", 0, at: 10, failed: true),
            sample("a", 1, at: 20), sample("a", 1.5, at: 20), sample("b", 2, at: 20),  // a twice: a scrape, no round
            sample("a", 1, at: 30),  // alone
            sample("a", 1, at: 40, source: .push), sample("b", 1, at: 40, source: .probe),  // not the same requests
            sample("b", 3, at: 5), sample("c", 4, at: 5),
        ]
        let rounds = LatencyRound.rounds(of: samples)
        #expect(rounds.map(\.atSeconds) == [5, 10])
        #expect(rounds.last?.secondsByServer == ["a": 1, "b": 2, "c": .infinity])
    }
}
