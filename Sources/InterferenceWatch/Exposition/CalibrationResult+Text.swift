import Detectors
import Foundation

extension CalibrationResult {
    /// `calibrate`'s text: the curve, a row per step, then the knee.
    var text: String {
        let b = { (value: UInt64) in SVGChart.bytes(Double(value)) }
        var rows: [[String]] = [["STEP", "ALLOCATED", "AVAILABLE", "SWAP IN", "PSI SOME", "SLOWDOWN", "GROUPS (median, imbalance, fairness)", "FINDING"]]
        for step in self.steps {
            let groups = step.groups.map { group in
                let median = group.medianSeconds.map { String(format: "%.3fs", $0) } ?? "-"
                let ratio = group.imbalanceRatio.map { String(format: "%.2fx", $0) } ?? "-"
                let fairness = group.fairnessIndex.map { String(format: "%.3f", $0) } ?? "-"
                return "\(group.group) \(median) \(ratio) \(fairness)"
            }.joined(separator: "; ")
            rows.append(["\(step.index)", b(step.allocatedBytes), step.availableBytes.map(b) ?? "-",
                         step.swapInBytesPerSecond.map { SVGChart.bytes($0) + "/s" } ?? "-",
                         step.psiMemorySomeRatio.map { String(format: "%.1f %%", $0 * 100) } ?? "-",
                         step.slowdownRatio.map { String(format: "%.2fx", $0) } ?? "-", groups,
                         step.findingOpened ? step.groups.flatMap(\.findings).joined(separator: ", ") : ""])
        }
        var out = "Calibration of the \(self.capacityCgroup.map { "capacity cgroup \($0)" } ?? "host") (\(b(self.capacityBytes))), "
            + "\(self.steps.count) steps of \(b(self.stepBytes)), stopped: \(self.stopReason)\n"
        out += TextTable.render(rows)
        if let unsafe = self.knee.unsafe {
            out += "Knee: latency broke with \(b(unsafe.availableBytes)) available (\(unsafe.detail))"
            out += self.knee.safe.map { "; with \(b($0.availableBytes)) available every group stayed balanced.\n" } ?? ".\n"
        } else if let safe = self.knee.safe {
            out += "No finding: every group stayed balanced down to \(b(safe.availableBytes)) available; the knee lies beyond what was tried.\n"
        } else {
            out += "No step was measured.\n"
        }
        return out
    }
}
