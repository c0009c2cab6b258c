extension GroupDetector {
    /// One server compared with its peers over one ``ComparisonBlock``.
    struct Comparison: Sendable, Equatable {
        var pValue: Double
        /// How much slower than its peers (see ``GroupVerdict/ServerStatus/peerRatio``).
        var peerRatio: Double
        /// Rounds compared; `nil` when the samples were pooled instead.
        var rounds: Int?
        /// The evidence for the debouncing: the rank-sum deviation and variance of the comparison with the
        /// server's latencies divided by ``Configuration/evidenceFloorRatio``.
        var deviation: Double
        var variance: Double
    }

    /// Compares every active server of the block with its active peers.
    ///
    /// Rounds of simultaneous requests are the stronger comparison: a server in at least `minSamplesPerWindow`
    /// rounds is tested within them (``AlignedRankTest``), which removes what slowed every server at once, such as
    /// a load step in the middle of the window. Otherwise its samples are pooled and compared with its peers' pooled
    /// samples (Mann-Whitney).
    ///
    /// - Returns: comparisons by server name, or `nil` when fewer than two servers are active (the block is too
    ///   sparse to compare).
    static func compare(_ block: ComparisonBlock, configuration config: Configuration) -> [String: Comparison]? {
        let minimum = max(1, config.minSamplesPerWindow)
        let names = block.servers
        let ranked = names.map {
            LatencyStatistics.rankedValues(latenciesSeconds: block.latencies[$0] ?? [], failures: block.failures[$0] ?? 0)
        }
        let active = names.indices.map { i in
            (block.failures[names[i]] ?? 0) > 0 || ranked[i].count { $0.isFinite } >= minimum
        }
        guard active.count(where: { $0 }) >= 2 else { return nil }
        let activeNames = Set(names.indices.filter { active[$0] }.map { names[$0] })
        let floor = config.evidenceFloorRatio.isFinite && config.evidenceFloorRatio > 0 ? config.evidenceFloorRatio : 1

        var result: [String: Comparison] = [:]
        for i in names.indices where active[i] {
            let name = names[i]
            let rounds = block.rounds.compactMap { round -> (server: Double, peers: [Double])? in
                guard let own = round.secondsByServer[name] else { return nil }
                let peers = round.secondsByServer.filter { $0.key != name && activeNames.contains($0.key) }
                    .sorted { $0.key < $1.key }.map(\.value)
                return peers.isEmpty ? nil : (own, peers)
            }
            if rounds.count >= minimum, let test = AlignedRankTest.test(rounds),
               let evidence = AlignedRankTest.test(rounds, scale: floor) {
                result[name] = Comparison(pValue: test.pValue, peerRatio: test.peerRatio, rounds: test.rounds,
                                          deviation: evidence.deviation, variance: evidence.variance)
                continue
            }
            var peers: [Double] = []
            for j in names.indices where j != i && active[j] { peers.append(contentsOf: ranked[j]) }
            guard let test = MannWhitneyU.test(ranked[i], greaterThan: peers),
                  let evidence = MannWhitneyU.test(ranked[i].map { $0 / floor }, greaterThan: peers)
            else { continue }
            peers.sort()
            let ratio = GroupDetector.ratio(LatencyStatistics.quantile(0.5, ofSorted: ranked[i]),
                                            LatencyStatistics.quantile(0.5, ofSorted: peers))
            result[name] = Comparison(pValue: test.pValue, peerRatio: ratio ?? 1, rounds: nil,
                                      deviation: evidence.scaledDeviation, variance: evidence.scaledVariance)
        }
        return result
    }
}
