import Detectors

extension CalibrationPlan {
    /// `calibrate --dry-run`: what would be done, and the bounds that keep it safe.
    var text: String {
        let b = { (value: UInt64) in SVGChart.bytes(Double(value)) }
        let place = self.capacityCgroup.map { "capacity cgroup \($0)" } ?? "host"
        var out = "Calibration plan for the \(place) (\(b(self.capacityBytes)), \(b(self.availableBytes)) available, \(b(self.swapFreeBytes)) swap free):\n"
        out += "- allocator cgroup \(self.allocatorCgroup), hard limit \(b(self.ceilingBytes))\n"
        out += "- \(self.steps.count) steps of \(b(self.stepBytes)) from none to \(b(self.steps.last ?? 0)) (ends at the \(self.limitedBy)); "
        out += "\(self.windowsPerStep) detection windows each\n"
        out += "- never below \(b(self.reserveBytes)) of available memory plus free swap; at most \(DurationText.span(self.timeLimitSeconds))\n"
        out += "- stops and releases everything at the first finding, on SIGINT or SIGTERM; allocators die with this process\n"
        return out
    }
}
