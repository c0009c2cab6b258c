extension GroupDetector {
    /// Tuning of a ``GroupDetector``. The defaults suit 30-second windows with a few dozen requests per server.
    public struct Configuration: Sendable, Equatable, Codable {
        /// A server with fewer successes than this and no failure in a window is idle and ignored (CPI2 ignores
        /// tasks under 0.25 CPU-s/s for the same reason: too few samples are noise).
        public var minSamplesPerWindow: Int
        /// Significance level of the one-sided Mann-Whitney test. Small because 4 servers are tested every window:
        /// with 3-of-5 debouncing, 0.001 gives about 1e-8 false raises per server and window.
        public var alpha: Double
        /// A significant server must also be this much slower than its peers' median (effect size): with many
        /// samples, a 2 % difference is significant but not worth an alert.
        public var minEffectRatio: Double
        /// Raise after `debounceM` hits among the last `debounceN` windows.
        public var debounceM: Int
        /// Window count of the debouncing; an episode resolves after this many consecutive clean windows.
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
            minSamplesPerWindow: Int = 5, alpha: Double = 0.001, minEffectRatio: Double = 1.2,
            debounceM: Int = 3, debounceN: Int = 5, slowdownRatioThreshold: Double = 1.25,
            slowdownNoiseZ: Double = 3,
            calmSwapBytesPerSecond: Double = 65_536, calmPSISomeRatio: Double = 0.01,
            baselineWindows: Int = 20, minBaselineWindows: Int = 5,
            correlationWindows: Int = 20, minCorrelationWindows: Int = 5, historyWindows: Int = 120,
            maxCauses: Int = 8, minCauseLevel: Double = 0.1, signalScales: [String: Double] = [:]
        ) {
            self.minSamplesPerWindow = minSamplesPerWindow
            self.alpha = alpha
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
