extension SweepPublisher {
    /// `interferencewatch_sweep_consumer_dropped_total{consumer}`.
    func families() -> [MetricFamily] {
        var set = FamilySet()
        for (consumer, count) in self.droppedTotals.sorted(by: { $0.consumer < $1.consumer }) {
            set.add("sweep_consumer_dropped_total", .counter,
                    "Sweeps a consumer (detection, history, alerts) fell too far behind to read; it skipped to newer ones.",
                    [("consumer", consumer)], count)
        }
        return set.all
    }
}
