import ArgumentParser
import Detectors

/// Flags of the host-RAM advice, shared by `run` and `recommend` (which re-reads the stored state under them).
struct AdviceOptions: ParsableArguments {
    @Option(name: .customLong("advice.window"),
            help: "Each workload's peak over this interval is one sample of its demand histogram (VPA: a day; e.g. 24h, 1h).")
    var window = "24h"

    @Option(name: .customLong("advice.half-life"), help: "A peak's weight halves over this (e.g. 24h).")
    var halfLife = "24h"

    @Option(name: .customLong("advice.percentile"), help: "The percentile of each workload's peaks it is sized for (0.9 = P90).")
    var percentile = 0.9

    @Option(name: .customLong("advice.headroom"), help: "Margin added to the summed demand, as a fraction (0.15 = 15 %).")
    var headroom = 0.15

    @Option(name: .customLong("advice.granularity"), help: "The recommendation is rounded up to a multiple of this (e.g. 1GiB, 256MiB).")
    var granularity = "1GiB"

    @Option(name: .customLong("advice.history"), help: "Workloads unseen this long, and knee evidence older than this, are forgotten.")
    var history = "8d"

    @Option(name: .customLong("advice.swap-reuse"), help: "Swap read back within this counts as demand; swap never read back does not.")
    var swapReuse = "10m"

    @Option(name: .customLong("advice.min-history"), help: "Less history than this is reported as not enough; alerts on the advice wait for it.")
    var minHistory = "1h"

    /// The advisor's settings; `config` gives the capacity cgroup and the balloon floors.
    func settings(config: AdviceSettings, pageSizeBytes: UInt64) throws -> MinimumHostMemoryAdvisor.Settings {
        func duration(_ text: String, _ flag: String, atLeast: Double, example: String) throws -> Double {
            guard let seconds = DurationParser.seconds(text), seconds >= atLeast else {
                throw ValidationError("invalid --\(flag) \"\(text)\": expected a duration of at least \(Int(atLeast))s, like \(example)")
            }
            return seconds
        }
        let window = try duration(self.window, "advice.window", atLeast: 60, example: "24h")
        let halfLife = try duration(self.halfLife, "advice.half-life", atLeast: 60, example: "24h")
        let history = try duration(self.history, "advice.history", atLeast: 60, example: "8d")
        let reuse = try duration(self.swapReuse, "advice.swap-reuse", atLeast: 1, example: "10m")
        let minHistory = try duration(self.minHistory, "advice.min-history", atLeast: 0, example: "1h")
        guard (0.5...1).contains(self.percentile) else {
            throw ValidationError("invalid --advice.percentile \(self.percentile): expected a fraction from 0.5 to 1, like 0.9")
        }
        guard self.headroom >= 0 && self.headroom <= 10 else {
            throw ValidationError("invalid --advice.headroom \(self.headroom): expected a fraction from 0 to 10, like 0.15")
        }
        guard let granularity = ByteSizeParser.bytes(self.granularity), granularity >= 1 << 20 else {
            throw ValidationError("invalid --advice.granularity \"\(self.granularity)\": expected a size of at least 1MiB, like 1GiB")
        }
        return .init(peakIntervalSeconds: window, halfLifeSeconds: halfLife, percentile: self.percentile,
                     marginFraction: self.headroom, granularityBytes: UInt64(granularity), historySeconds: history,
                     swapReuseSeconds: reuse, minimumHistorySeconds: minHistory, pageSizeBytes: pageSizeBytes,
                     capacityCgroup: config.capacityCgroup, balloonFloorBytes: config.balloonFloorBytes,
                     balloonFloorFraction: config.balloonFloorFraction)
    }
}
