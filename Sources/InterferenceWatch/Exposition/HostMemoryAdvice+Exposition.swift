import Detectors
import Foundation

extension HostMemoryAdvice {
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

    /// `GET /api/v1/advice`: the recommendation with its evidence; only `generated_at` before the first sample.
    struct AdviceDocument: Encodable {
        var generatedAt: Double
        var advice: HostMemoryRecommendation?
    }

    func adviceDocument(generatedAt: Double = Date().timeIntervalSince1970) -> AdviceDocument {
        AdviceDocument(generatedAt: generatedAt, advice: self.recommendation())
    }
}
