extension PushRateLimit {
    /// `push_samples_total{result}` (`accepted`, `limited`) and `push_limit_samples_per_second`.
    func families() -> [MetricFamily] {
        var set = FamilySet()
        let help = "Pushed latency samples in well-formed batches: accepted, or limited (answered 429, nothing kept)."
        set.add("push_samples_total", .counter, help, [("result", "accepted")], self.accepted)
        set.add("push_samples_total", .counter, help, [("result", "limited")], self.limited)
        set.add("push_limit_samples_per_second", .gauge, "Pushed samples taken per second at most (--push.max-samples-per-second).",
                [], self.samplesPerSecond)
        return set.all
    }
}
