import Detectors
import Foundation

extension HostMemoryAdvice {
    /// The advice's families (listed in the README); none before the first sample.
    func families() -> [MetricFamily] {
        var set = FamilySet()
        set.add("host_memory_advice_calibrating", .gauge,
                "1 while a calibration raises memory pressure on purpose (its allocator is left out of the demand).", [],
                self.calibrating ? 1 : 0)
        guard let advice = self.recommendation() else { return set.all }
        let demandHelp = "Memory the host needed at the last sweep, by part: used (MemTotal - MemAvailable), swapped "
            + "(in swap only), ballooned (held back from VMs by their balloons)."
        set.add("host_memory_demand_bytes", .gauge, demandHelp, [("part", "ballooned")], advice.current.balloonedBytes)
        set.add("host_memory_demand_bytes", .gauge, demandHelp, [("part", "swapped")], advice.current.swappedBytes)
        set.add("host_memory_demand_bytes", .gauge, demandHelp, [("part", "used")], advice.current.usedBytes)
        set.add("host_memory_demand_peak_bytes", .gauge,
                "Largest used + swapped + ballooned memory over the current and previous advice window.", [], advice.peak.demandBytes)
        set.add("host_memory_recommended_minimum_bytes", .gauge,
                "Recommended RAM (or capacity cgroup limit): the workloads' demand plus the margin, above the latency knee, "
                    + "rounded up to --advice.granularity.", [], advice.minimumBytes)
        set.add("host_memory_shortfall_bytes", .gauge,
                "Recommended minimum minus the installed size when the host (or capacity cgroup) has less, else 0.", [],
                advice.shortfallBytes)
        set.add("host_memory_advice_installed_bytes", .gauge,
                "The size the advice is measured against: MemTotal, or the capacity cgroup's memory limit.", [], advice.installedBytes)
        set.add("host_memory_advice_observed_seconds", .gauge,
                "History the memory advice rests on (time covered by sweeps, downtime left out).", [], advice.observedSeconds)
        set.add("host_memory_advice_confident", .gauge,
                "1 once the advice has --advice.min-history behind it; alerts on the advice wait for it.", [],
                advice.confidence.enough ? 1 : 0)
        set.add("host_memory_advice_confidence_ratio", .gauge,
                "days / (1 + days) of history: 0.5 after a day, 0.875 after a week.", [], advice.confidence.ratio)
        let rangeHelp = "The recommendation divided (lower) and multiplied (upper) by 1 + 1/days of history (at most 25, its value at one hour)."
        set.add("host_memory_advice_range_bytes", .gauge, rangeHelp, [("bound", "lower")], advice.confidence.lowerBytes)
        set.add("host_memory_advice_range_bytes", .gauge, rangeHelp, [("bound", "upper")], advice.confidence.upperBytes)
        let kneeHelp = "Available memory at the knee: the least seen with every group balanced (safe), the most seen "
            + "during a memory-caused finding (unsafe)."
        set.add("host_memory_advice_knee_available_bytes", .gauge, kneeHelp, [("side", "safe")], advice.knee.safe?.availableBytes)
        set.add("host_memory_advice_knee_available_bytes", .gauge, kneeHelp, [("side", "unsafe")], advice.knee.unsafe?.availableBytes)
        let breakdownHelp = "The demand behind the recommendation by part and workload (each workload's P90 estimate in the "
            + "proportions of its latest peak); outside_workloads and margin have workload=\"\". Sums to the estimate before rounding."
        for workload in advice.workloads {
            for (part, bytes) in workload.parts.labelled where bytes > 0 {
                set.add("host_memory_advice_breakdown_bytes", .gauge, breakdownHelp, [("part", part), ("workload", workload.workload)], bytes)
            }
        }
        set.add("host_memory_advice_breakdown_bytes", .gauge, breakdownHelp, [("part", "outside_workloads"), ("workload", "")],
                advice.remainder.workingSetBytes)
        set.add("host_memory_advice_breakdown_bytes", .gauge, breakdownHelp, [("part", "outside_swap_read_back"), ("workload", "")],
                advice.remainder.swapReadBackBytes)
        set.add("host_memory_advice_breakdown_bytes", .gauge, breakdownHelp, [("part", "margin"), ("workload", "")],
                advice.estimateBytes > advice.demandBytes ? advice.estimateBytes - advice.demandBytes : 0)
        return set.all
    }

    /// `GET /api/v1/advice`: the recommendation with its evidence; only `generated_at` before the first sample.
    struct AdviceDocument: Encodable {
        var generatedAt: Double
        var advice: HostMemoryRecommendation?
        var calibrating: Bool
    }

    func adviceDocument(generatedAt: Double = Date().timeIntervalSince1970) -> AdviceDocument {
        AdviceDocument(generatedAt: generatedAt, advice: self.recommendation(), calibrating: self.calibrating)
    }
}
