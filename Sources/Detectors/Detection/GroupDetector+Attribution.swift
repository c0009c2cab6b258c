// Attribution: ranks candidate causes for a finding from the bounded window history.
// The scoring is documented on ``GroupDetector`` ("Attribution").

extension GroupDetector {
    /// What a finding is about.
    enum Subject: Sendable, Equatable {
        case server(String)
        case group
    }

    /// One signal of one subject, as a series aligned with ``history``.
    struct Candidate {
        var signal: CauseSignal
        var subject: String?
        var series: [Double?]
        /// For a server's own workload signals: the same signal of each peer server, for specificity.
        var peerSeries: [[Double?]] = []
        var ownWorkload = false

        var key: String { "\(self.signal.rawValue)|\(self.subject ?? "")" }
    }

    /// The workload name a server ran in most recently, else the server's name.
    func workloadName(of server: String) -> String {
        self.history.reversed().lazy.compactMap { $0.servers[server]?.workload }.first ?? server
    }

    func candidates(for subject: Subject) -> [Candidate] {
        let serverNames = Set(self.history.flatMap(\.servers.keys)).sorted()
        var result: [Candidate] = []
        var neighbourSubjects: Set<String> = []

        func workloadSeries(_ server: String, _ signal: CauseSignal) -> [Double?] {
            self.history.map { record in record.servers[server].flatMap { signal.value(of: $0.signals) } }
        }

        switch subject {
        case .server(let name):
            let peers = serverNames.filter { $0 != name }
            for signal in CauseSignal.workloadSignals {
                result.append(Candidate(
                    signal: signal, subject: self.workloadName(of: name), series: workloadSeries(name, signal),
                    peerSeries: peers.map { workloadSeries($0, signal) }, ownWorkload: true))
            }
            // The other servers' workloads are neighbours too: one of them growing can starve this one.
            for peer in peers {
                let workload = self.workloadName(of: peer)
                guard neighbourSubjects.insert(workload).inserted else { continue }
                result.append(Candidate(signal: .neighbourMemoryGrowth, subject: workload,
                                        series: workloadSeries(peer, .neighbourMemoryGrowth)))
            }
        case .group:
            for server in serverNames {
                for signal in CauseSignal.workloadSignals {
                    result.append(Candidate(signal: signal, subject: self.workloadName(of: server),
                                            series: workloadSeries(server, signal)))
                }
            }
            neighbourSubjects.formUnion(serverNames.map { self.workloadName(of: $0) })
        }
        for signal in CauseSignal.hostSignals {
            result.append(Candidate(signal: signal, subject: nil, series: self.history.map { signal.value(of: $0.host) }))
        }
        for neighbour in Set(self.history.flatMap(\.neighbourNames)).sorted()
        where neighbourSubjects.insert(neighbour).inserted {
            result.append(Candidate(
                signal: .neighbourMemoryGrowth, subject: neighbour,
                series: self.history.map { $0.neighbourUsage(neighbour) }))
        }
        return result
    }

    /// Mean of the values of a history-aligned series, over the windows selected by `include`.
    func mean(_ series: [Double?], where include: (WindowRecord) -> Bool) -> Double? {
        var sum = 0.0, count = 0
        for (record, value) in zip(self.history, series) where include(record) {
            guard let value, value.isFinite else { continue }
            sum += value
            count += 1
        }
        return count > 0 ? sum / Double(count) : nil
    }

    /// Every candidate's mean before `since`, to freeze when a finding is raised.
    func valuesBefore(_ since: Double, subject: Subject) -> [String: Double] {
        var values: [String: Double] = [:]
        for candidate in self.candidates(for: subject) {
            values[candidate.key] = self.mean(candidate.series) { $0.startSeconds < since }
        }
        return values
    }

    /// Ranked causes for a finding about `subject` whose episode started at `since`.
    func causes(subject: Subject, kind: Finding.Kind, since: Double, before frozen: [String: Double]) -> [Cause] {
        let config = self.configuration
        let recent = max(0, self.history.count - max(2, config.correlationWindows))
        let latency: [Double?] = self.history.map { record in
            switch subject {
            case .server(let name): return record.servers[name]?.median
            case .group: return record.groupMedian
            }
        }
        let isBefore: (WindowRecord) -> Bool = { $0.startSeconds < since }
        let isDuring: (WindowRecord) -> Bool = { $0.startSeconds >= since }
        let signalOrder = Dictionary(uniqueKeysWithValues: CauseSignal.allCases.enumerated().map { ($1, $0) })

        var ranked: [(cause: Cause, order: Int)] = []
        for candidate in self.candidates(for: subject) {
            guard let during = self.mean(candidate.series, where: isDuring) else { continue }
            let before = frozen[candidate.key] ?? self.mean(candidate.series, where: isBefore)
            let scale = config.scale(of: candidate.signal)

            let level: Double, rise: Double
            if candidate.signal == .neighbourMemoryGrowth {
                // Memory use is a level that is always there; only its growth accuses a neighbour.
                guard let before else { continue }
                level = (during - before) / scale
                rise = 1
            } else {
                level = during / scale
                if let before, during > 0 { rise = min(1, max(0, (during - before) / during)) } else { rise = 1 }
            }
            guard level >= config.minCauseLevel else { continue }

            var pairsX: [Double] = [], pairsY: [Double] = []
            for k in recent..<self.history.count {
                guard let x = candidate.series[k], let y = latency[k], !x.isNaN, !y.isNaN else { continue }
                pairsX.append(x)
                pairsY.append(y)
            }
            let rho = RankCorrelation.spearman(pairsX, pairsY, minimumPairs: config.minCorrelationWindows)
            var evidence = level / (1 + level) * (0.5 + 0.5 * rise) * (0.5 + 0.5 * max(0, rho ?? 0))

            let tier: Double
            switch (kind, subject, candidate.signal.scope) {
            case (.imbalance, _, .workload):
                // Specific to the slow server: its level at least twice the peers' mean for the same signal.
                let peerDuring = candidate.peerSeries.compactMap { self.mean($0, where: isDuring) }
                let specificity: Double
                if peerDuring.isEmpty || during <= 0 {
                    specificity = during > 0 ? 1 : 0
                } else {
                    let peerMean = peerDuring.reduce(0, +) / Double(peerDuring.count)
                    specificity = min(1, max(0, (during - peerMean) / during))
                }
                if candidate.ownWorkload && specificity >= 0.5 {
                    tier = 2
                    evidence *= 0.5 + 0.5 * specificity
                } else {
                    tier = 0
                }
            case (.imbalance, _, .neighbour): tier = 1
            case (.imbalance, _, .host): tier = 0
            case (.slowdown, .group, .host): tier = 2
            case (.slowdown, .group, _): tier = 1
            case (.slowdown, .server, .workload): tier = candidate.ownWorkload ? 2 : 1
            case (.slowdown, .server, _): tier = 1
            }

            let cause = Cause(
                signal: candidate.signal.rawValue, scope: candidate.signal.scope, subject: candidate.subject,
                beforeValue: before, duringValue: during, correlation: rho, score: tier + min(evidence, 0.999_999),
                summary: GroupDetector.summary(candidate, before: before, during: during, rho: rho))
            ranked.append((cause, signalOrder[candidate.signal] ?? 0))
        }
        ranked.sort { a, b in
            if a.cause.score != b.cause.score { return a.cause.score > b.cause.score }
            if a.order != b.order { return a.order < b.order }
            return (a.cause.subject ?? "") < (b.cause.subject ?? "")
        }
        return ranked.prefix(max(0, config.maxCauses)).map(\.cause)
    }

    static func summary(_ candidate: Candidate, before: Double?, during: Double, rho: Double?) -> String {
        let signal = candidate.signal
        let correlation = rho.map { ", rank correlation with latency \(CauseSignal.oneDecimal($0 * 100) ) %" } ?? ""
        switch signal.scope {
        case .neighbour:
            let growth = during - (before ?? during)
            return "memory use of \(candidate.subject ?? "?") grew by \(CauseSignal.bytes(growth)) "
                + "(from \(CauseSignal.bytes(before ?? during)) to \(CauseSignal.bytes(during)))\(correlation)"
        case .host, .workload:
            let owner = candidate.subject.map { " of workload \($0)" } ?? ""
            let previous = before.map { signal.format($0) } ?? "unknown"
            return "\(signal.label)\(owner): \(signal.format(during)) during the episode (before: \(previous))"
                + correlation
        }
    }
}
