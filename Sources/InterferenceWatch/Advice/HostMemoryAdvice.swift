import Detectors
import Foundation
import Synchronization

/// Feeds each published snapshot to a ``MinimumHostMemoryAdvisor`` and serves its recommendation as metrics and JSON
/// (`GET /api/v1/advice`).
///
/// History is in memory only: after a restart the peak is re-learned, and `observed_seconds` says how much time the
/// current advice rests on.
final class HostMemoryAdvice: Sendable {
    private let advisor: Mutex<MinimumHostMemoryAdvisor>

    init(settings: MinimumHostMemoryAdvisor.Settings = .init()) {
        self.advisor = Mutex(MinimumHostMemoryAdvisor(settings: settings))
    }

    /// Records the snapshot's demand; a host without `MemAvailable` gives no advice.
    func record(_ snapshot: Snapshot) {
        guard let demand = HostMemoryDemand(host: snapshot.host, vms: snapshot.vms) else { return }
        self.advisor.withLock { $0.record(demand, atSeconds: snapshot.timestampSeconds) }
    }

    func recommendation() -> HostMemoryRecommendation? {
        self.advisor.withLock { $0.recommendation() }
    }

    /// `host_memory_demand_bytes{part}`, `host_memory_demand_peak_bytes`, `host_memory_recommended_minimum_bytes`,
    /// `host_memory_shortfall_bytes`, `host_memory_advice_observed_seconds`; none before the first sample.
    func families() -> [MetricFamily] {
        guard let advice = self.recommendation() else { return [] }
        var set = FamilySet()
        let demandHelp = "Memory the host needed at the last sweep, by part: used (MemTotal - MemAvailable), swapped "
            + "(in swap only), ballooned (held back from VMs by their balloons)."
        set.add("host_memory_demand_bytes", .gauge, demandHelp, [("part", "ballooned")], advice.current.balloonedBytes)
        set.add("host_memory_demand_bytes", .gauge, demandHelp, [("part", "swapped")], advice.current.swappedBytes)
        set.add("host_memory_demand_bytes", .gauge, demandHelp, [("part", "used")], advice.current.usedBytes)
        set.add("host_memory_demand_peak_bytes", .gauge,
                "Largest used + swapped + ballooned memory over the advice window.", [], advice.peak.demandBytes)
        set.add("host_memory_recommended_minimum_bytes", .gauge,
                "Smallest host RAM that holds the window's peak demand plus headroom, in whole GiB.", [],
                advice.minimumBytes)
        set.add("host_memory_shortfall_bytes", .gauge,
                "Recommended minimum minus installed RAM (MemTotal) when the host has less, else 0.", [],
                advice.shortfallBytes)
        set.add("host_memory_advice_observed_seconds", .gauge,
                "Time covered by the samples the memory advice rests on.", [], advice.observedSeconds)
        return set.all
    }

    /// The recommendation with its evidence; only `generated_at` before the first sample.
    func json() throws -> Data {
        struct Body: Encodable {
            var generatedAt: Double
            var advice: HostMemoryRecommendation?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(Body(generatedAt: Date().timeIntervalSince1970, advice: self.recommendation()))
    }
}
