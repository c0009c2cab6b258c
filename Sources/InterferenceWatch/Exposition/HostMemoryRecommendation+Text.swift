import Detectors
import Foundation

extension HostMemoryRecommendation {
    /// `interference-watch recommend`'s text: the verdict first, then the table per workload, then the reasons.
    var text: String {
        let b = { (value: UInt64) in SVGChart.bytes(Double(value)) }
        let place = self.scope.map { "capacity cgroup \($0)" } ?? "host"
        var out = "Recommended: \(b(self.minimumBytes)) for the \(place), which has \(b(self.installedBytes)): "
        out += self.shortfallBytes > 0 ? "short by \(b(self.shortfallBytes)).\n" : "enough.\n"
        out += self.confidence.enough
            ? "Confidence: \(Self.span(self.confidence.historySeconds)) of history; range \(b(self.confidence.lowerBytes)) to \(b(self.confidence.upperBytes)).\n"
            : "Confidence: not enough history (\(Self.span(self.confidence.historySeconds)) of \(Self.span(self.confidence.minimumHistorySeconds))); "
                + "range \(b(self.confidence.lowerBytes)) to \(b(self.confidence.upperBytes)).\n"
        let safe = self.knee.safe.map { "balanced down to \(b($0.availableBytes)) available" } ?? "no calm window measured"
        let unsafe = self.knee.unsafe.map { "a memory-caused finding at \(b($0.availableBytes)) available" } ?? "no memory-caused finding"
        out += "Knee: \(safe); \(unsafe).\n\n"

        let rows: [[String]] = self.workloads.map { w in
            [w.workload, w.kind?.rawValue ?? "", b(w.estimateBytes), b(w.parts.workingSetBytes), b(w.parts.swapReadBackBytes),
             b(w.parts.vmReservedBytes), b(w.parts.vmOverheadBytes)]
        } + [["(outside workloads)", "", b(self.remainder.totalBytes), b(self.remainder.workingSetBytes), b(self.remainder.swapReadBackBytes), "", ""],
             ["(margin \(Int((self.headroomFraction * 100).rounded())) %)", "", b(self.estimateBytes - min(self.estimateBytes, self.demandBytes)), "", "", "", ""]]
        let header = ["WORKLOAD", "TYPE", "ESTIMATE", "WORKING SET", "SWAP READ BACK", "VM RESERVED", "VM OVERHEAD"]
        out += TextTable.render([header] + rows)
        out += "\nWhy:\n"
        for reason in self.reasons { out += "- \(reason)\n" }
        return out
    }

    static func span(_ seconds: Double) -> String { DurationText.span(seconds) }
}
