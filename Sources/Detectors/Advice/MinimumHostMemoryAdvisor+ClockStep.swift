extension MinimumHostMemoryAdvisor.State {
    /// Carries on at `atSeconds`, earlier than the latest sweep: the wall clock was stepped back.
    ///
    /// What was learned stays; only what is keyed by a minute, an hour or a peak interval later than the new time
    /// moves to the new one (merged with it), because each of those lists only ever appends a later key and would
    /// take nothing new until the clock caught up again.
    mutating func rewind(to atSeconds: Double, peakIntervalSeconds: Double) {
        let minute = Int64((atSeconds / 60).rounded(.down))
        let hour = Int64((atSeconds / 3600).rounded(.down))
        var available: [AvailableMinute] = []
        for entry in self.recentAvailable {
            if entry.index >= minute, let last = available.indices.last, available[last].index == minute {
                available[last].bytes = min(available[last].bytes, entry.bytes)
            } else {
                available.append(.init(index: min(entry.index, minute), bytes: entry.bytes))
            }
        }
        self.recentAvailable = available
        var knee: [KneeHour] = []
        for entry in self.knee {
            if entry.index >= hour, let last = knee.indices.last, knee[last].index == hour {
                knee[last].knee.merge(entry.knee)
            } else {
                knee.append(.init(index: min(entry.index, hour), knee: entry.knee))
            }
        }
        self.knee = knee
        self.readBack.rewind(to: atSeconds)
        for name in self.workloads.keys { self.workloads[name]!.rewind(to: atSeconds, intervalSeconds: peakIntervalSeconds) }
        self.remainder?.rewind(to: atSeconds, intervalSeconds: peakIntervalSeconds)
        if let peakAt = self.peakAtSeconds, peakAt > atSeconds { self.peakAtSeconds = atSeconds }
        if let peakAt = self.previousPeakAtSeconds, peakAt > atSeconds { self.previousPeakAtSeconds = atSeconds }
    }

    /// Moves what was learned `seconds` later: the wall clock was stepped forward that far, and none of that time
    /// passed for the workloads.
    ///
    /// Without this the step would count as time passed: the peaks' weights would decay by it (a day's step halves
    /// them at the default half-life), the open peak interval would end early, and the read-back minutes and the
    /// knee's lookback would fall out of their windows at once. Minute and hour keys move by whole minutes and hours,
    /// rounded down, so they stay at or before the new time's and each list keeps appending later keys only. Times
    /// kept for display (a knee's or a calibration's) stay when they happened.
    mutating func carryForward(bySeconds seconds: Double, peakIntervalSeconds: Double) {
        guard seconds > 0 else { return }
        let minutes = Int64((seconds / 60).rounded(.down)), hours = Int64((seconds / 3600).rounded(.down))
        for index in self.recentAvailable.indices { self.recentAvailable[index].index += minutes }
        for index in self.knee.indices { self.knee[index].index += hours }
        self.readBack.shift(byMinutes: minutes)
        for name in self.workloads.keys {
            self.workloads[name]!.shiftTimes(bySeconds: seconds, minutes: minutes, intervalSeconds: peakIntervalSeconds)
        }
        self.remainder?.shiftTimes(bySeconds: seconds, minutes: minutes, intervalSeconds: peakIntervalSeconds)
        self.peakAtSeconds = self.peakAtSeconds.map { $0 + seconds }
        self.previousPeakAtSeconds = self.previousPeakAtSeconds.map { $0 + seconds }
        self.latestAtSeconds = self.latestAtSeconds.map { $0 + seconds }
    }
}
