import Detectors

extension ClockWatch {
    /// `interferencewatch_clock_steps_total{direction}`.
    func families() -> [MetricFamily] {
        var set = FamilySet()
        for (direction, count) in self.stepsTotal {
            set.add("clock_steps_total", .counter,
                    "Steps of the wall clock seen between two sweeps (beyond 1 s plus 0.1 % of the interval), by direction.",
                    [("direction", direction.rawValue)], count)
        }
        return set.all
    }
}
