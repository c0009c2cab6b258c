extension MinimumHostMemoryAdvisor {
    /// The knee over the history: every window's evidence and the last calibration's.
    public var knee: MemoryKnee {
        var knee = MemoryKnee()
        for hour in self.state.knee { knee.merge(hour.knee) }
        if let calibration = self.state.calibration { knee.merge(calibration.knee) }
        return knee
    }

    /// The recommendation; `nil` before the first sweep with `MemAvailable` (and the capacity cgroup, when set).
    public func recommendation() -> HostMemoryRecommendation? {
        guard let at = self.state.latestAtSeconds, let current = self.state.latest,
              let installed = self.state.latestInstalledBytes, let remainderTracker = self.state.remainder else { return nil }
        let settings = self.settings
        let counted = at - settings.peakIntervalSeconds

        var workloads: [HostMemoryRecommendation.WorkloadDemand] = []
        for (name, tracker) in self.state.workloads where tracker.lastSeenSeconds >= counted {
            let estimate = tracker.estimateBytes(percentile: settings.percentile)
            workloads.append(.init(workload: name, kind: tracker.kind, estimateBytes: estimate,
                                   parts: tracker.lastPeak.scaled(to: estimate), lastSeenSeconds: tracker.lastSeenSeconds))
        }
        workloads.sort { ($0.estimateBytes, $1.workload) > ($1.estimateBytes, $0.workload) }
        let remainderEstimate = remainderTracker.estimateBytes(percentile: settings.percentile)
        let remainder = remainderTracker.lastPeak.scaled(to: remainderEstimate)
        let demand = workloads.reduce(remainderEstimate) { $0 + $1.estimateBytes }
        let estimate = Double(demand) * (1 + settings.marginFraction)

        let knee = self.knee
        let floor = knee.unsafe.map { demand + $0.availableBytes + 1 }
        let minimum = settings.roundedUp(max(estimate, Double(floor ?? 0)))

        let history = self.state.observedSeconds
        let days = max(history / 86_400, 1e-6)
        // VPA's widening, at most its value at one hour (x25): below that the range says no more.
        let widening = min(1 + 1 / days, 25)
        let granularity = Double(settings.granularityBytes)
        let lower = UInt64(max(0, (Double(minimum) / widening / granularity).rounded(.down))) * settings.granularityBytes
        let upper = settings.roundedUp(Double(minimum) * widening)
        let confidence = HostMemoryRecommendation.Confidence(
            historySeconds: history, minimumHistorySeconds: settings.minimumHistorySeconds,
            enough: history >= settings.minimumHistorySeconds, ratio: days / (1 + days), lowerBytes: lower, upperBytes: upper)

        let peak = self.peakDemand
        var advice = HostMemoryRecommendation(
            minimumBytes: minimum, peak: peak?.demand ?? current, peakAtSeconds: peak?.atSeconds ?? at, current: current,
            shortfallBytes: minimum > installed ? minimum - installed : 0, observedSeconds: history,
            headroomFraction: settings.marginFraction, installedBytes: installed, availableBytes: self.state.latestAvailableBytes ?? 0, scope: self.state.scope,
            verdict: minimum > installed ? "short" : "enough", demandBytes: demand, estimateBytes: UInt64(estimate.rounded(.up)),
            workloads: workloads, remainder: remainder,
            knee: .init(safe: knee.safe, unsafe: knee.unsafe, floorBytes: floor), confidence: confidence,
            calibratedAtSeconds: self.state.calibration?.endedAtSeconds, reasons: [])
        advice.reasons = self.reasons(advice)
        return advice
    }

    /// The larger of the two kept interval peaks.
    private var peakDemand: (demand: HostMemoryDemand, atSeconds: Double)? {
        let candidates = [(self.state.peak, self.state.peakAtSeconds), (self.state.previousPeak, self.state.previousPeakAtSeconds)]
            .compactMap { pair -> (HostMemoryDemand, Double)? in pair.0.flatMap { d in pair.1.map { (d, $0) } } }
        return candidates.max { $0.0.demandBytes < $1.0.demandBytes }
    }

    /// The plain-words account of a recommendation.
    func reasons(_ advice: HostMemoryRecommendation) -> [String] {
        let b = { (value: UInt64) in CauseSignal.bytes(Double(value)) }
        let settings = self.settings
        let place = advice.scope.map { "capacity cgroup \($0)" } ?? "host"
        var out: [String] = []
        let percent = Int((settings.percentile * 100).rounded())
        let margin = Int((settings.marginFraction * 100).rounded())
        out.append("\(advice.workloads.count) workload\(advice.workloads.count == 1 ? "" : "s") need \(b(advice.demandBytes - min(advice.demandBytes, advice.remainder.totalBytes))) "
                   + "(P\(percent) of each one's peaks) and memory outside them \(b(advice.remainder.totalBytes)); with a \(margin) % margin "
                   + "\(b(advice.estimateBytes)), rounded up to \(b(advice.minimumBytes)).")
        if advice.shortfallBytes > 0 {
            out.append("The \(place) has \(b(advice.installedBytes)): short by \(b(advice.shortfallBytes)).")
        } else {
            out.append("The \(place) has \(b(advice.installedBytes)): enough, \(b(advice.installedBytes - advice.minimumBytes)) beyond the recommendation.")
        }
        let swapped = self.state.latestSwappedBytes ?? 0
        let readBack = advice.workloads.reduce(advice.remainder.swapReadBackBytes) { $0 + $1.parts.swapReadBackBytes }
        let reuse = CauseSignal.oneDecimal(settings.swapReuseSeconds / 60)
        if readBack > 0 {
            out.append("Swap: \(b(swapped)) sits in swap and \(b(readBack)) of what the workloads need was read back from it "
                       + "within \(reuse) min; that much counts as demand, the rest is cold and does not.")
        } else if swapped > 0 {
            out.append("Swap: \(b(swapped)) sits in swap but none of it was read back within \(reuse) min: cold pages, not counted.")
        }
        let ballooned = self.state.latestBallooned
        if !ballooned.isEmpty {
            let list = ballooned.keys.sorted().map { "\($0) \(b(ballooned[$0]!))" }.joined(separator: ", ")
            let floor = settings.balloonFloorFraction.map { "at their balloon floor (\(Int(($0 * 100).rounded())) % of configured)" }
                ?? (settings.balloonFloorBytes.isEmpty ? "at their configured size (no balloon floor set)" : "at their configured size or balloon floor")
            out.append("Balloons hold back \(b(ballooned.values.reduce(0, +))) (\(list)); VMs count \(floor).")
        }
        let overhead = advice.workloads.reduce(0) { $0 + $1.parts.vmOverheadBytes }
        if overhead > 0 { out.append("QEMU holds \(b(overhead)) beyond guest RAM.") }
        if let unsafe = advice.knee.unsafe, let floor = advice.knee.floorBytes {
            out.append("Knee: latency broke with \(b(unsafe.availableBytes)) available (\(unsafe.source): \(unsafe.detail)); "
                       + "the recommendation keeps more than that free at the estimated demand (at least \(b(floor))).")
        }
        if let safe = advice.knee.safe {
            out.append("Knee: every group stayed balanced with as little as \(b(safe.availableBytes)) available (\(safe.source)).")
        }
        if advice.knee.safe == nil && advice.knee.unsafe == nil {
            out.append("Knee: no detection window or calibration has measured latency against memory yet.")
        }
        let hours = advice.confidence.historySeconds / 3600
        let span = hours < 1 ? "\(CauseSignal.oneDecimal(advice.confidence.historySeconds / 60)) min"
            : hours < 48 ? "\(CauseSignal.oneDecimal(hours)) h" : "\(CauseSignal.oneDecimal(hours / 24)) days"
        if advice.confidence.enough {
            out.append("Based on \(span) of history: the size lies between \(b(advice.confidence.lowerBytes)) and \(b(advice.confidence.upperBytes)) "
                       + "(narrower with more history).")
        } else {
            out.append("Not enough history: \(span) observed, \(CauseSignal.oneDecimal(settings.minimumHistorySeconds / 3600)) h needed; "
                       + "the size lies between \(b(advice.confidence.lowerBytes)) and \(b(advice.confidence.upperBytes)).")
        }
        return out
    }
}
