extension GroupDetector {
    /// Tuning of a ``GroupDetector``. The defaults suit 30-second windows with a few dozen requests per server.
    public struct Configuration: Sendable, Equatable, Codable {
        /// A server with fewer successes than this and no failure in a window is idle and ignored (CPI2 ignores
        /// tasks under 0.25 CPU-s/s for the same reason: too few samples are noise). The peer comparison pools a
        /// window in which fewer than two servers have that many into the next one instead.
        public var minSamplesPerWindow: Int
        /// Significance level of one window's comparison (the aligned-rank test over rounds, else the Mann-Whitney
        /// test): a window below it, and slower by `minEffectRatio`, is ``GroupVerdict/ServerStatus/significantlySlower``.
        public var alpha: Double
        /// Significance level of the evidence that raises an `.imbalance`: the rank evidence of the windows from one
        /// slow window of the debouncing to the latest, added up (see ``EpisodeTracker``). Several sparse windows
        /// that agree raise a finding no single one of them could. 1e-5: four equal servers (7 rounds a window,
        /// 30 % noise each, a shared load) gave 3 false raises in 1.06 million simulated windows, about one in
        /// four months of 30-second windows; a server 1.5x slower at that density is flagged three windows after
        /// it turned slow (median). A server truly 1.1x slower can still be flagged now and then (about once in a
        /// thousand windows at 20 rounds): below `minEffectRatio`, but not equal.
        public var evidenceAlpha: Double
        /// The evidence counts only slowness beyond this ratio: the server's latencies are divided by it before the
        /// evidence is ranked, so a server a few percent slower than its peers (placement, a busier core) builds no
        /// evidence however long it runs. 1.05, about the fourth root of `minEffectRatio`.
        public var evidenceFloorRatio: Double
        /// A significant server must also be this much slower than its peers' median (effect size): with many
        /// samples, a 2 % difference is significant but not worth an alert.
        public var minEffectRatio: Double
        /// A window is slow for the debouncing when the server's peer ratio is at least `minEffectRatio` and its
        /// comparison gives `p` below this: loose, because one slow window proves nothing (the evidence does), but
        /// not so loose that chance windows of equal servers start an episode early or keep one from resolving.
        public var slowWindowAlpha: Double
        /// Raise after `debounceM` slow windows among the last `debounceN`, when the evidence also reaches
        /// `evidenceAlpha`.
        public var debounceM: Int
        /// Window count of the debouncing; an episode resolves after this many consecutive windows that are not
        /// slow. Windows too sparse to compare (fewer than two servers with `minSamplesPerWindow` samples) are not
        /// counted: their samples are pooled into the next window, at most `debounceN` windows together.
        public var debounceN: Int
        /// Window median over baseline at or above which a window counts as slowed down. 1.25: just under the
        /// study's smallest reported slowdown (1.26x, Docker on the 8 GB host).
        public var slowdownRatioThreshold: Double
        /// A window also needs `log(ratio) >= slowdownNoiseZ × spread` to count as slowed down, where spread is the
        /// baseline's ``ServerBaseline/logSpread`` (for the group: the median spread, divided by the square root of
        /// the number of servers and multiplied by 1.2533, the standard error of a median). It keeps a noisy
        /// server with few samples per window from flapping across `slowdownRatioThreshold`.
        public var slowdownNoiseZ: Double
        /// Host, workload or guest swap traffic (in + out, bytes per second) at or below which a window is calm.
        public var calmSwapBytesPerSecond: Double
        /// Host and workload PSI memory `some` below which a window is calm.
        public var calmPSISomeRatio: Double
        /// Calm-window medians a ``ServerBaseline`` keeps.
        public var baselineWindows: Int
        /// Calm windows needed before slowdown ratios are reported.
        public var minBaselineWindows: Int
        /// Windows over which cause signals are correlated with latency.
        public var correlationWindows: Int
        /// Fewer paired windows than this give no correlation.
        public var minCorrelationWindows: Int
        /// Windows of history kept (raised to at least `correlationWindows` and `debounceN`).
        public var historyWindows: Int
        /// Causes listed per finding at most.
        public var maxCauses: Int
        /// A signal whose episode mean (or growth, for neighbours) is below this share of its scale is not listed.
        public var minCauseLevel: Double
        /// Per signal id (``CauseSignal``), the level that counts as clearly present; see
        /// ``CauseSignal/defaultScales``. Missing ids use the default.
        public var signalScales: [String: Double]

        public init(
            minSamplesPerWindow: Int = 5, alpha: Double = 0.001, evidenceAlpha: Double = 1e-5,
            evidenceFloorRatio: Double = 1.05, slowWindowAlpha: Double = 0.05, minEffectRatio: Double = 1.2,
            debounceM: Int = 3, debounceN: Int = 5, slowdownRatioThreshold: Double = 1.25,
            slowdownNoiseZ: Double = 3,
            calmSwapBytesPerSecond: Double = 65_536, calmPSISomeRatio: Double = 0.01,
            baselineWindows: Int = 20, minBaselineWindows: Int = 5,
            correlationWindows: Int = 20, minCorrelationWindows: Int = 5, historyWindows: Int = 120,
            maxCauses: Int = 8, minCauseLevel: Double = 0.1, signalScales: [String: Double] = [:]
        ) {
            self.minSamplesPerWindow = minSamplesPerWindow
            self.alpha = alpha
            self.evidenceAlpha = evidenceAlpha
            self.evidenceFloorRatio = evidenceFloorRatio
            self.slowWindowAlpha = slowWindowAlpha
            self.minEffectRatio = minEffectRatio
            self.debounceM = debounceM
            self.debounceN = debounceN
            self.slowdownRatioThreshold = slowdownRatioThreshold
            self.slowdownNoiseZ = slowdownNoiseZ
            self.calmSwapBytesPerSecond = calmSwapBytesPerSecond
            self.calmPSISomeRatio = calmPSISomeRatio
            self.baselineWindows = baselineWindows
            self.minBaselineWindows = minBaselineWindows
            self.correlationWindows = correlationWindows
            self.minCorrelationWindows = minCorrelationWindows
            self.historyWindows = historyWindows
            self.maxCauses = maxCauses
            self.minCauseLevel = minCauseLevel
            self.signalScales = signalScales
        }

        /// The scale of a signal: the configured one, else the default, else 1.
        func scale(of signal: CauseSignal) -> Double {
            let value = self.signalScales[signal.rawValue] ?? CauseSignal.defaultScales[signal.rawValue] ?? 1
            return value > 0 ? value : 1
        }

        /// `n` and `m` made usable: `1 <= m <= n`.
        var debounce: (m: Int, n: Int) {
            let n = max(1, self.debounceN)
            return (min(max(1, self.debounceM), n), n)
        }
    }
}
