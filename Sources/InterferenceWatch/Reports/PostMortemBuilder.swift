import Detectors
import Foundation

/// Builds a ``PostMortem`` from history: an episode (with time before and after it) or a time range, for one group.
///
/// Long ranges are read thinned to about ``points`` samples per chart series (sweeps spaced out, latency medians per
/// time bucket), so a report of a whole day costs about what a report of an hour does.
struct PostMortemBuilder {
    struct NotFound: Error, CustomStringConvertible {
        var description: String
        /// The request parameter that selected nothing (`episode`, `from`, `to`, `group`), for the API's error.
        var field: String
    }

    let reader: HistoryReader
    /// Points per chart series.
    var points = 240
    /// The advice the range is judged with: the daemon's defaults.
    var adviceSettings = MinimumHostMemoryAdvisor.Settings()
    /// Balloon moves and neighbour growth at least this large go into the timeline.
    var balloonStepBytes: Double = 16 * 1_048_576
    var neighbourStepBytes: Double = 256 * 1_048_576

    /// - Parameters:
    ///   - episodeID: report on this episode (its range and group); else `from`/`to` and `group`.
    /// - Throws: ``NotFound`` for an unknown episode, an unknown group, or a range with no history.
    func build(episodeID: Int64? = nil, from: Double? = nil, to: Double? = nil, group: String? = nil,
               generatedAtSeconds: Double) throws -> PostMortem {
        guard let stored = try self.reader.sweepTimeRange() else { throw NotFound(description: "the history is empty", field: episodeID == nil ? "from" : "episode") }
        var episode: Episode?
        var start: Double, end: Double
        if let episodeID {
            guard let found = try self.reader.episode(id: episodeID) else {
                throw NotFound(description: "no episode \(episodeID) (GET /api/v1/episodes lists them)", field: "episode")
            }
            episode = found
            let since = found.finding.sinceSeconds
            let until = found.resolvedAtSeconds ?? stored.last
            let lead = max(600, until - since)
            start = max(stored.first, since - lead)
            end = min(stored.last, until + 300)
        } else {
            start = from ?? stored.first
            end = to ?? stored.last
        }
        guard start < end else { throw NotFound(description: "an empty range", field: "to") }
        let runs = try self.reader.runs()
        let episodesInRange = try self.reader.episodes(from: start, to: end)
        guard let groupName = episode?.group ?? group ?? episodesInRange.last?.group ?? runs.last?.groups.first?.name else {
            throw NotFound(description: "no group in the history", field: "group")
        }
        let definition = runs.reversed().lazy.compactMap { $0.groups.first { $0.name == groupName } }.first
        let pageSize = runs.last?.pageSizeBytes ?? 4096
        let spacing = (end - start) / Double(self.points)
        let sweeps = try self.reader.sweeps(from: start, to: end, spacingSeconds: spacing)
        let samples = try self.reader.samples(from: start, to: end).filter { $0.group == groupName }
        guard !sweeps.isEmpty || !samples.isEmpty else {
            throw NotFound(description: "no history between \(TimeExpression.format(start)) and \(TimeExpression.format(end))",
                           field: episodeID == nil ? "from" : "episode")
        }
        if definition == nil && samples.isEmpty && !episodesInRange.contains(where: { $0.group == groupName }) {
            throw NotFound(description: "no group \"\(groupName)\" in the history", field: "group")
        }
        let verdicts = try self.reader.verdicts(group: groupName, from: start, to: end)
        let events = try self.reader.events(from: start, to: end).filter { $0.finding.group == groupName }
        let groupEpisodes = episodesInRange.filter { $0.group == groupName }
        let focus = episode ?? groupEpisodes.last
        let servers = definition?.servers ?? Array(Set(samples.map(\.server))).sorted()

        var involved = servers.compactMap { definition?.workloadOfServer[$0] }
        for cause in focus?.finding.causes ?? [] where cause.scope == .neighbour {
            if let subject = cause.subject, !involved.contains(subject) { involved.append(subject) }
        }

        var charts: [PostMortem.Chart] = []
        charts.append(self.taskTimes(samples, servers: servers, from: start, to: end))
        charts.append(.init(id: "imbalance", title: "Imbalance ratio (slowest over fastest median)", unit: "ratio",
                            series: [.init(name: "imbalance ratio", points: verdicts.compactMap { v in
                                v.imbalanceRatio.flatMap { $0.isFinite ? [v.endSeconds, $0] : nil } })]))
        charts.append(.init(id: "fairness", title: "Fairness index (Jain, 1 = all equal)", unit: "ratio",
                            series: [.init(name: "fairness index", points: verdicts.compactMap { v in
                                v.fairnessIndex.map { [v.endSeconds, $0] } })]))
        charts += self.hostCharts(sweeps, pageSizeBytes: pageSize)
        charts += self.workloadCharts(sweeps, workloads: involved)
        charts.append(self.balloons(sweeps))

        var timeline = events.map { event -> PostMortem.TimelineEntry in
            let f = event.finding
            let who = f.server.map { "server \($0)" } ?? "the group"
            let ratio = f.ratio.isFinite ? String(format: "%.2fx", f.ratio) : "mostly failing"
            let cause = f.causes.first.map { ": \($0.summary)" } ?? ""
            return .init(atSeconds: event.atSeconds, kind: .finding,
                         text: "\(f.kind.rawValue) \(event.change.rawValue) for \(who) (\(ratio))\(cause)")
        }
        timeline += self.memoryEvents(sweeps, servers: Set(involved.prefix(servers.count)))
        for transition in try self.reader.alertTransitions(from: start, to: end)
        where (transition.to == .firing || transition.to == .resolved) && (transition.alert.labels["group"] ?? groupName) == groupName {
            timeline.append(.init(atSeconds: transition.atSeconds, kind: .alert,
                                  text: "alert \(transition.alert.rule) \(transition.to.rawValue): \(transition.alert.annotations["summary"] ?? "")"))
        }
        timeline.sort { ($0.atSeconds, $0.kind.rawValue) < ($1.atSeconds, $1.kind.rawValue) }

        let slowdown = verdicts.flatMap(\.servers).compactMap(\.slowdownRatio).filter(\.isFinite).max()
        // How much slower at worst during the episode (the stored finding carries its last window's ratio).
        var worst = focus?.finding.ratio
        if let focus {
            let during = verdicts.filter { $0.endSeconds >= focus.finding.sinceSeconds && $0.endSeconds <= (focus.resolvedAtSeconds ?? end) }
            let ratios = during.flatMap(\.servers).filter { $0.server == focus.server }
                .compactMap { focus.kind == .imbalance ? $0.peerRatio : $0.slowdownRatio }
            if let peak = ratios.max() { worst = max(peak, worst ?? peak) }
        }
        let summary = PostMortem.Summary(
            group: groupName, servers: servers, flagged: Array(Set(groupEpisodes.compactMap(\.server))).sorted(),
            kind: focus?.kind.rawValue, startedAtSeconds: focus?.finding.sinceSeconds, endedAtSeconds: focus?.resolvedAtSeconds,
            timeToDetectionSeconds: focus.map { $0.openedAtSeconds - $0.finding.sinceSeconds },
            ratio: worst, slowdownRatio: slowdown, topCause: Self.topCauseSentence(focus, worstRatio: worst))
        let title = focus.map { "Post-mortem: \($0.kind.rawValue) of \($0.server.map { "server \($0)" } ?? "the group") in \(groupName)" }
            ?? "Report: group \(groupName)"
        return PostMortem(generatedAtSeconds: generatedAtSeconds, title: title, fromSeconds: start, toSeconds: end,
                          episode: episode, summary: summary, timeline: timeline, charts: charts,
                          causes: (focus?.finding.causes ?? []).map(Self.explain), advice: self.advice(sweeps))
    }

    // MARK: Charts

    private func taskTimes(_ samples: [LatencySample], servers: [String], from: Double, to: Double) -> PostMortem.Chart {
        let medians = TaskTimeSeries.medians(samples, from: from, bucketSeconds: max(1, (to - from) / Double(self.points)))
        let series = servers.map { PostMortem.Series(name: $0, points: medians[$0] ?? []) }
        return .init(id: "task-time", title: "Task time per server (median per interval)", unit: "seconds", series: series)
    }

    private func hostCharts(_ sweeps: [Sweep], pageSizeBytes: Double) -> [PostMortem.Chart] {
        var available: [[Double]] = [], swapped: [[Double]] = [], swapIn: [[Double]] = [], swapOut: [[Double]] = []
        for (index, sweep) in sweeps.enumerated() {
            let meminfo = sweep.host.meminfoBytes
            if let value = meminfo["MemAvailable"] { available.append([sweep.atSeconds, Double(value)]) }
            if let total = meminfo["SwapTotal"], let free = meminfo["SwapFree"] {
                swapped.append([sweep.atSeconds, Double(total > free ? total - free : 0)])
            }
            guard index > 0 else { continue }
            let previous = sweeps[index - 1]
            let elapsed = sweep.elapsedSeconds(since: previous)
            guard elapsed > 0 else { continue }
            for (key, target) in [("pswpin", 0), ("pswpout", 1)] {
                guard let now = sweep.host.vmstat[key], let before = previous.host.vmstat[key], now >= before else { continue }
                let point = [sweep.atSeconds, Double(now - before) * pageSizeBytes / elapsed]
                if target == 0 { swapIn.append(point) } else { swapOut.append(point) }
            }
        }
        return [
            .init(id: "host-memory", title: "Host memory", unit: "bytes",
                  series: [.init(name: "available", points: available), .init(name: "in swap", points: swapped)]),
            .init(id: "host-swap", title: "Host swap traffic", unit: "bytes/s",
                  series: [.init(name: "swap-in", points: swapIn), .init(name: "swap-out", points: swapOut)]),
        ]
    }

    private func workloadCharts(_ sweeps: [Sweep], workloads: [String]) -> [PostMortem.Chart] {
        var usage: [String: [[Double]]] = [:], swap: [String: [[Double]]] = [:]
        var psi: [String: [[Double]]] = [:], faults: [String: [[Double]]] = [:]
        var previous: [String: (times: Sweep, sample: WorkloadSample)] = [:]
        let wanted = Set(workloads)
        for sweep in sweeps {
            for sample in sweep.workloads where wanted.contains(sample.name) {
                if let value = sample.usageBytes { usage[sample.name, default: []].append([sweep.atSeconds, Double(value)]) }
                if let value = sample.swapBytes { swap[sample.name, default: []].append([sweep.atSeconds, Double(value)]) }
                if let pressure = sample.pressure {
                    psi[sample.name, default: []].append([sweep.atSeconds, pressure.some.avg10Percent / 100])
                }
                if let last = previous[sample.name], let now = sample.majorFaults, let before = last.sample.majorFaults,
                   now >= before, case let elapsed = sweep.elapsedSeconds(since: last.times), elapsed > 0 {
                    faults[sample.name, default: []].append([sweep.atSeconds, Double(now - before) / elapsed])
                }
                previous[sample.name] = (Sweep(atSeconds: sweep.atSeconds, uptimeSeconds: sweep.uptimeSeconds), sample)
            }
        }
        func series(_ values: [String: [[Double]]]) -> [PostMortem.Series] {
            workloads.compactMap { name in values[name].map { PostMortem.Series(name: name, points: $0) } }
        }
        return [
            .init(id: "workload-memory", title: "Memory of the workloads involved", unit: "bytes", series: series(usage)),
            .init(id: "workload-swap", title: "Swap of the workloads involved", unit: "bytes", series: series(swap)),
            .init(id: "workload-psi", title: "Memory stall of the workloads involved (PSI some avg10)", unit: "ratio", series: series(psi)),
            .init(id: "workload-major-faults", title: "Major faults of the workloads involved", unit: "per second", series: series(faults)),
        ]
    }

    private func balloons(_ sweeps: [Sweep]) -> PostMortem.Chart {
        var points: [String: [[Double]]] = [:]
        for sweep in sweeps {
            for vm in sweep.vms { if let actual = vm.balloonActualBytes { points[vm.name, default: []].append([sweep.atSeconds, Double(actual)]) } }
        }
        return .init(id: "balloons", title: "VM balloon size (guest-visible RAM)", unit: "bytes",
                     series: points.keys.sorted().map { .init(name: $0, points: points[$0]!) })
    }

    // MARK: Timeline, causes, advice

    private func memoryEvents(_ sweeps: [Sweep], servers: Set<String>) -> [PostMortem.TimelineEntry] {
        var entries: [PostMortem.TimelineEntry] = []
        for (previous, sweep) in zip(sweeps, sweeps.dropFirst()) {
            let before = Dictionary(previous.vms.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for vm in sweep.vms {
                guard let now = vm.balloonActualBytes, let then = before[vm.name]?.balloonActualBytes,
                      abs(Double(now) - Double(then)) >= self.balloonStepBytes else { continue }
                entries.append(.init(atSeconds: sweep.atSeconds, kind: .balloon,
                                     text: "balloon of VM \(vm.name) \(now < then ? "shrank" : "grew") from \(CauseSignal.bytes(Double(then))) to \(CauseSignal.bytes(Double(now)))"))
            }
            let earlier = Dictionary(previous.workloads.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for workload in sweep.workloads where !servers.contains(workload.name) {
                guard let now = workload.usageBytes, let then = earlier[workload.name]?.usageBytes,
                      abs(Double(now) - Double(then)) >= self.neighbourStepBytes else { continue }
                entries.append(.init(atSeconds: sweep.atSeconds, kind: .neighbour,
                                     text: "neighbour \(workload.name) \(now > then ? "grew" : "shrank") from \(CauseSignal.bytes(Double(then))) to \(CauseSignal.bytes(Double(now)))"))
            }
        }
        return Array(entries.prefix(100))
    }

    static func topCauseSentence(_ episode: Episode?, worstRatio: Double?) -> String {
        guard let episode else { return "No finding in this range: the servers stayed balanced and at their usual speed." }
        let f = episode.finding
        let who = f.server.map { "Server \($0)" } ?? "The group"
        let ratio = worstRatio ?? f.ratio
        let how = ratio.isFinite
            ? "up to " + String(format: "%.2f", ratio) + (f.kind == .imbalance ? "x slower than its peers" : "x slower than its own baseline")
            : "mostly failing"
        guard let cause = f.causes.first else { return "\(who) was \(how); no memory signal explained it." }
        return "\(who) was \(how); the most likely cause is \(cause.summary). \(CauseMeaning.words(for: cause.signal))"
    }

    static func explain(_ cause: Cause) -> PostMortem.ExplainedCause {
        .init(signal: cause.signal, scope: cause.scope.rawValue, subject: cause.subject, beforeValue: cause.beforeValue,
              duringValue: cause.duringValue, correlation: cause.correlation, summary: cause.summary,
              meaning: CauseMeaning.words(for: cause.signal))
    }

    /// What the advisor makes of the range's sweeps alone: the same demand model as the daemon's advice.
    private func advice(_ sweeps: [Sweep]) -> PostMortem.Advice? {
        var advisor = MinimumHostMemoryAdvisor(settings: self.adviceSettings)
        for sweep in sweeps { advisor.record(sweep) }
        guard let advice = advisor.recommendation() else { return nil }
        return .init(installedBytes: advice.installedBytes, peakDemandBytes: advice.peak.demandBytes, peakAtSeconds: advice.peakAtSeconds,
                     recommendedBytes: advice.minimumBytes, shortfallBytes: advice.shortfallBytes, demandBytes: advice.demandBytes)
    }
}
