#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds servers of a group that are slower than their peers, or a group slower than its own past, and ranks the
/// memory signals that may explain it.
///
/// A plain state machine in the style of NIO's: no clock, no I/O, no randomness. Feed one ``GroupWindow`` at a
/// time with ``ingest(_:)``; the same windows always give the same verdicts.
///
/// ## Imbalance
/// In each window every active server is compared with its active peers (co-located servers doing the same work are
/// each other's baseline, as in CPI2). When the server was in at least `minSamplesPerWindow` rounds of simultaneous
/// requests (``LatencyRound``), the comparison is made within the rounds (``AlignedRankTest``), which cancels what
/// slowed every server at once; otherwise its pooled samples are compared with its peers' (Mann-Whitney). A window in
/// which fewer than two servers are active is not compared: its samples are pooled into the next window (at most
/// `debounceN` windows together, and a window without any sample ends the wait), and it counts as no window.
///
/// A server is *significantly slower* in a window when its test gives `p < alpha` **and** it is at least
/// `minEffectRatio` times slower than its peers (effect size: with many samples, a 2 % difference is significant but
/// not worth an alert). It is *slow* when it is that much slower at `p < slowWindowAlpha`. An `.imbalance` is raised
/// after `debounceM` slow windows among the last `debounceN` **and** once the evidence of those windows, added up
/// (van Elteren's weighting of each window's rank-sum deviation, with the server's latencies divided by
/// `evidenceFloorRatio`), gives `p < evidenceAlpha`; it starts where that evidence does and is resolved after
/// `debounceN` consecutive compared windows that are not slow (see `EpisodeTracker`). Few samples a window are
/// weak evidence each (six rounds of four servers can never give `p` below 2.4e-4), but windows that agree add up.
///
/// ## Slowdown
/// Each server learns a ``ServerBaseline`` from calm windows: no host, workload or guest swap above
/// `calmSwapBytesPerSecond`, host and workload PSI memory `some` below `calmPSISomeRatio`, and no active finding on
/// the server. A window's slowdown ratio is its median over the baseline; it counts as slowed down when the ratio
/// is at least `slowdownRatioThreshold` and stands `slowdownNoiseZ` robust deviations above the baseline's scatter. The group's ratio is the median of the
/// ratios of the servers that are not significantly slower than their peers, so one outlier (an imbalance) cannot
/// make the whole group look slow. A group-wide `.slowdown` (``Finding/server`` `nil`) is debounced like an
/// imbalance. A single server's window counts towards its own `.slowdown` only when nothing else explains it: the
/// server is not significantly slower than its peers, has no active imbalance, and the group is not slowed down.
/// Host-wide pressure that slows all servers alike is therefore one group `.slowdown`, never an `.imbalance`.
///
/// ## Attribution
/// Every finding lists candidate causes from the history of windows (see ``CauseSignal``). For each candidate:
/// - `before`: mean over the windows before the episode (frozen when the finding is raised), `during`: mean over
///   the episode's windows;
/// - `level = during / scale` (for neighbours, `(during - before) / scale`: the growth), and the candidate is
///   dropped when `level < minCauseLevel`;
/// - `evidence = level / (1 + level)` × `(0.5 + 0.5 · rise)` × `(0.5 + 0.5 · max(0, ρ))`, where
///   `rise = clamp((during - before) / during, 0, 1)` (1 without a before value) rewards signals that appeared with
///   the episode, and `ρ` is Spearman's correlation with the latency median over the last `correlationWindows`;
///   `evidence` is in `0..<1`;
/// - `score = tier + evidence`, so tiers never mix. For an `.imbalance`, tier 2 holds the server's own workload
///   signals that are *specific* to it (its episode mean at least twice its peers' mean for the same signal; the
///   evidence is further multiplied by `0.5 + 0.5 · specificity`), tier 1 holds neighbours whose memory grew, and
///   tier 0 holds host signals and workload signals the peers share: a host-wide signal hits every server alike
///   and cannot say why one of them is slower. For a group `.slowdown`, host signals are tier 2 and the rest tier 1;
///   for a single server's `.slowdown`, its workload is tier 2 and the rest tier 1.
/// Ties keep ``CauseSignal`` order, then subject order, so the ranking is deterministic.
///
/// ## Persistence
/// The whole detector is `Codable` (history, debouncing, baselines), so a daemon can checkpoint it. Medians and
/// ratios are `+infinity` when requests mostly failed: JSON needs `nonConformingFloatEncodingStrategy`.
public struct GroupDetector: Sendable, Equatable, Codable {
    /// Names the findings; windows are not checked against it.
    public let group: String
    public let configuration: Configuration
    /// Per-server calm baselines, keyed by server name. Persist them and hand them back to ``init(group:configuration:baselines:)``.
    public var baselines: [String: ServerBaseline]

    /// The last windows, oldest first; bounded by ``historyCapacity``.
    private(set) var history: [WindowRecord] = []
    private var imbalanceTrackers: [String: EpisodeTracker] = [:]
    private var serverSlowdownTrackers: [String: EpisodeTracker] = [:]
    private var groupSlowdownTracker = EpisodeTracker()
    /// Samples of sparse windows waiting to be compared with the next window's.
    private var pending: ComparisonBlock?

    /// - Parameters:
    ///   - group: the group's name, copied into findings.
    ///   - configuration: tuning; the defaults suit 30-second windows.
    ///   - baselines: baselines persisted by an earlier run, keyed by server name.
    public init(group: String, configuration: Configuration = Configuration(),
                baselines: [String: ServerBaseline] = [:]) {
        self.group = group
        self.configuration = configuration
        self.baselines = baselines
    }

    var historyCapacity: Int {
        max(self.configuration.historyWindows, self.configuration.correlationWindows, self.configuration.debounce.n, 1)
    }

    /// Ingests one window and returns the verdict with every active finding.
    public mutating func ingest(_ window: GroupWindow) -> GroupVerdict {
        let config = self.configuration
        let (m, n) = config.debounce
        let servers = GroupDetector.canonicalServers(window.servers)

        // 1. Per-server statistics; idle servers take no part in any comparison.
        let statistics = servers.map { LatencyStatistics(latenciesSeconds: $0.latenciesSeconds, failures: $0.failures) }
        let active = statistics.map { $0.failures > 0 || $0.count >= max(1, config.minSamplesPerWindow) }

        // 2. Each active server against its active peers, over this window's samples and those of sparse windows
        //    pooled before it. A window in which fewer than two servers can be compared waits for the next one
        //    (at most `n` windows together) and counts as no window in the debouncing. A window without any sample
        //    ends the wait: the group went quiet, and its episodes must be able to resolve.
        var block = self.pending ?? ComparisonBlock(startSeconds: window.startSeconds)
        block.add(servers, rounds: window.rounds)
        let comparisons = GroupDetector.compare(block, configuration: config)
        let quiet = servers.allSatisfy { $0.latenciesSeconds.isEmpty && $0.failures <= 0 }
        let compared = comparisons != nil || block.windows >= n || quiet
        self.pending = compared ? nil : block
        let index = Dictionary(servers.indices.map { (servers[$0].server, $0) }, uniquingKeysWith: { a, _ in a })
        var pValues = [Double?](repeating: nil, count: servers.count)
        var peerRatios = [Double?](repeating: nil, count: servers.count)
        var roundCounts = [Int?](repeating: nil, count: servers.count)
        var significant = [Bool](repeating: false, count: servers.count)
        for (name, comparison) in comparisons ?? [:] {
            guard let i = index[name] else { continue }
            pValues[i] = comparison.pValue
            peerRatios[i] = comparison.peerRatio
            roundCounts[i] = comparison.rounds
            significant[i] = comparison.pValue < config.alpha && comparison.peerRatio >= config.minEffectRatio
        }

        // 3. Slowdown against each server's own calm past (the baseline as it was before this window).
        let slowdownRatios: [Double?] = servers.indices.map { i in
            guard active[i] else { return nil }
            return self.baselines[servers[i].server]?.slowdownRatio(
                medianSeconds: statistics[i].median, minimumWindows: config.minBaselineWindows)
        }
        let spreads: [Double?] = servers.indices.map { i in
            slowdownRatios[i] == nil ? nil : self.baselines[servers[i].server]?.logSpread
        }
        let slowed: [Bool] = servers.indices.map { i in
            guard let ratio = slowdownRatios[i] else { return false }
            return self.isSlowedDown(ratio: ratio, noise: spreads[i] ?? 0)
        }
        let groupMembers = servers.indices.filter { !significant[$0] && slowdownRatios[$0] != nil }
        let groupRatio = LatencyStatistics.quantile(0.5, ofSorted: groupMembers.compactMap { slowdownRatios[$0] }.sorted())
        let groupNoise = (LatencyStatistics.quantile(0.5, ofSorted: groupMembers.compactMap { spreads[$0] }.sorted())
            ?? 0) * 1.2533 / Double(max(1, groupMembers.count)).squareRoot()
        let groupSlowed = groupRatio.map { self.isSlowedDown(ratio: $0, noise: groupNoise) } ?? false

        // 4. Group imbalance over the active servers' medians.
        let activeMedians = servers.indices.compactMap { active[$0] ? statistics[$0].median : nil }
        let imbalance = GroupImbalance(medians: activeMedians)

        // 5. Remember the window before attribution, so that "during" includes it.
        var neighbourNames = window.neighbours.keys.sorted()
        if let last = self.history.last, last.neighbourNames == neighbourNames { neighbourNames = last.neighbourNames }
        var record = WindowRecord(startSeconds: window.startSeconds, endSeconds: window.endSeconds, servers: [:],
                                  host: window.host, neighbourNames: neighbourNames,
                                  neighbourUsageBytes: neighbourNames.map { window.neighbours[$0]?.memoryUsageBytes ?? .nan },
                                  groupMedian: LatencyStatistics.quantile(0.5, ofSorted: activeMedians.sorted()))
        for i in servers.indices {
            record.servers[servers[i].server] = WindowRecord.Server(
                workload: servers[i].workload, median: active[i] ? statistics[i].median : nil,
                signals: servers[i].signals)
        }
        self.history.append(record)
        if self.history.count > self.historyCapacity {
            self.history.removeFirst(self.history.count - self.historyCapacity)
        }

        // 6. Debounce. A slow window (peer ratio at least `minEffectRatio`, p below `slowWindowAlpha`) is a hit;
        //    raising also needs the rank evidence of the hits to reach `evidenceAlpha`. Servers missing from a compared block count as clean
        //    windows, so their episodes can resolve; a block still pooling records nothing.
        let names = Set(servers.map(\.server)).union(block.servers).union(self.imbalanceTrackers.keys)
            .union(self.serverSlowdownTrackers.keys)
        var evidencePValues: [String: Double] = [:]
        for name in names.sorted() {
            var tracker = self.imbalanceTrackers[name] ?? EpisodeTracker()
            if compared {
                let comparison = comparisons?[name]
                if let ratio = comparison?.peerRatio { tracker.lastRatio = ratio }
                let hit = comparison.map { $0.peerRatio >= config.minEffectRatio && $0.pValue < config.slowWindowAlpha } ?? false
                if tracker.record(hit: hit, startSeconds: block.startSeconds, m: m, n: n,
                                  deviation: comparison?.deviation ?? 0, variance: comparison?.variance ?? 0,
                                  evidenceAlpha: config.evidenceAlpha) == .raised {
                    tracker.before = self.valuesBefore(tracker.sinceSeconds ?? block.startSeconds, subject: .server(name))
                }
            }
            if let evidence = tracker.evidence { evidencePValues[name] = evidence.pValue }
            self.imbalanceTrackers[name] = tracker.isIdle ? nil : tracker
        }
        if let groupRatio { self.groupSlowdownTracker.lastRatio = groupRatio }
        if self.groupSlowdownTracker.record(hit: groupSlowed, startSeconds: window.startSeconds, m: m, n: n) == .raised {
            self.groupSlowdownTracker.before = self.valuesBefore(
                self.groupSlowdownTracker.sinceSeconds ?? window.startSeconds, subject: .group)
        }
        // A server's own slowdown counts only when nothing else explains it: not slower than its peers (that is an
        // imbalance), and the group as a whole not slowed (that is the group's slowdown). Otherwise the window is
        // recorded as clean, so that such a tracker cannot outlive the episode that explained it.
        let groupExplains = groupSlowed || self.groupSlowdownTracker.isActive
        for name in names.sorted() {
            let i = index[name]
            var slow = self.serverSlowdownTrackers[name] ?? EpisodeTracker()
            let ratio = i.flatMap { slowdownRatios[$0] }
            if let ratio { slow.lastRatio = ratio }
            let unexplained = i.map { slowed[$0] && !significant[$0] } ?? false
                && !groupExplains && self.imbalanceTrackers[name]?.isActive != true
            if slow.record(hit: unexplained, startSeconds: window.startSeconds, m: m, n: n) == .raised {
                slow.before = self.valuesBefore(slow.sinceSeconds ?? window.startSeconds, subject: .server(name))
            }
            self.serverSlowdownTrackers[name] = slow.isIdle ? nil : slow
        }

        // 7. Active findings, with causes from the history.
        var findings: [Finding] = []
        if let since = self.groupSlowdownTracker.sinceSeconds {
            findings.append(Finding(
                server: nil, group: self.group, kind: .slowdown, ratio: self.groupSlowdownTracker.lastRatio ?? 1,
                sinceSeconds: since,
                causes: self.causes(subject: .group, kind: .slowdown, since: since,
                                    before: self.groupSlowdownTracker.before)))
        }
        for (name, tracker) in self.imbalanceTrackers.sorted(by: { $0.key < $1.key }) {
            guard let since = tracker.sinceSeconds else { continue }
            findings.append(Finding(
                server: name, group: self.group, kind: .imbalance, ratio: tracker.lastRatio ?? 1, sinceSeconds: since,
                causes: self.causes(subject: .server(name), kind: .imbalance, since: since, before: tracker.before)))
        }
        if !self.groupSlowdownTracker.isActive {
            for (name, tracker) in self.serverSlowdownTrackers.sorted(by: { $0.key < $1.key }) {
                guard let since = tracker.sinceSeconds, self.imbalanceTrackers[name]?.isActive != true else { continue }
                findings.append(Finding(
                    server: name, group: self.group, kind: .slowdown, ratio: tracker.lastRatio ?? 1,
                    sinceSeconds: since,
                    causes: self.causes(subject: .server(name), kind: .slowdown, since: since,
                                        before: tracker.before)))
            }
        }
        findings.sort { GroupDetector.findingOrder($0) < GroupDetector.findingOrder($1) }

        // 8. Learn baselines from calm windows of servers with no episode under way: a slowdown we are reporting
        //    must not become the new normal.
        for i in servers.indices where active[i] {
            let name = servers[i].server
            guard let median = statistics[i].median, median.isFinite,
                  self.isCalm(host: window.host, workload: servers[i].signals),
                  !self.groupSlowdownTracker.isActive,
                  self.imbalanceTrackers[name]?.isActive != true,
                  self.serverSlowdownTrackers[name]?.isActive != true
            else { continue }
            self.baselines[name, default: ServerBaseline(capacity: config.baselineWindows)]
                .learn(medianSeconds: median)
        }

        let statuses = servers.indices.map { i in
            GroupVerdict.ServerStatus(
                server: servers[i].server, workload: servers[i].workload, statistics: statistics[i],
                active: active[i], slowdownRatio: slowdownRatios[i], peerRatio: peerRatios[i], pValue: pValues[i],
                significantlySlower: significant[i],
                outlier: self.imbalanceTrackers[servers[i].server]?.isActive == true, rounds: roundCounts[i],
                evidencePValue: evidencePValues[servers[i].server])
        }
        return GroupVerdict(
            group: self.group, startSeconds: window.startSeconds, endSeconds: window.endSeconds, servers: statuses,
            imbalanceRatio: imbalance?.maxMinRatio, fairnessIndex: imbalance?.fairnessIndex,
            coefficientOfVariation: imbalance?.coefficientOfVariation, groupSlowdownRatio: groupRatio,
            findings: findings, comparedFromSeconds: compared ? block.startSeconds : nil)
    }

    /// A window is slowed down when its ratio reaches the threshold and stands out of the baseline's own noise.
    func isSlowedDown(ratio: Double, noise: Double) -> Bool {
        ratio >= self.configuration.slowdownRatioThreshold
            && (ratio.isInfinite || log(ratio) >= self.configuration.slowdownNoiseZ * noise)
    }

    /// Calm: nothing says memory is short, for the host or the workload. Missing signals count as calm: a host
    /// without PSI must still learn a baseline.
    func isCalm(host: HostSignals, workload: WorkloadSignals) -> Bool {
        let config = self.configuration
        let swaps = [host.swapBytesPerSecond, workload.swapBytesPerSecond, workload.guestSwapBytesPerSecond]
        let stalls = [host.psiMemorySomeRatio, workload.psiMemorySomeRatio]
        return swaps.allSatisfy { ($0 ?? 0) <= config.calmSwapBytesPerSecond }
            && stalls.allSatisfy { ($0 ?? 0) < config.calmPSISomeRatio }
    }

    /// Servers sorted by name, duplicates merged, so that the verdict does not depend on reporting order.
    static func canonicalServers(_ servers: [ServerWindow]) -> [ServerWindow] {
        var merged: [String: ServerWindow] = [:]
        for server in servers {
            if var existing = merged[server.server] {
                existing.latenciesSeconds += server.latenciesSeconds
                existing.failures += server.failures
                existing.workload = existing.workload ?? server.workload
                merged[server.server] = existing
            } else {
                merged[server.server] = server
            }
        }
        return merged.values.sorted { $0.server < $1.server }
    }

    /// `a / b` where either may be infinite (failures): worse-than-everything over finite is `+infinity`, and two
    /// infinities (both sides mostly failing) compare as equal.
    static func ratio(_ a: Double?, _ b: Double?) -> Double? {
        guard let a, let b, !a.isNaN, !b.isNaN else { return nil }
        if a.isInfinite && b.isInfinite { return 1 }
        if b == 0 { return a == 0 ? 1 : .infinity }
        return a / b
    }

    static func findingOrder(_ finding: Finding) -> String {
        "\(finding.kind == .imbalance ? 0 : 1)|\(finding.server == nil ? 0 : 1)|\(finding.server ?? "")"
    }
}
