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
}
