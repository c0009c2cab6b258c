import Detectors
import Foundation

extension DetectionEngine {
    /// Detection metrics from the latest verdicts.
    func families() -> [MetricFamily] {
        var set = FamilySet()
        for verdict in self.verdicts {
            let group = [(name: "group", value: verdict.group)]
            set.add("group_imbalance_ratio", .gauge, "Slowest over fastest median task time among the group's active servers.",
                    group, verdict.imbalanceRatio)
            set.add("group_fairness_index", .gauge, "Jain's fairness index of the servers' median task times (1 = all equal).",
                    group, verdict.fairnessIndex)
            set.add("group_latency_coefficient_of_variation", .gauge, "Standard deviation over mean of the servers' medians.",
                    group, verdict.coefficientOfVariation)
            set.add("group_slowdown_ratio", .gauge, "The group's median task time over its calm-host baseline.",
                    group, verdict.groupSlowdownRatio)
            set.add("detection_window_end_timestamp_seconds", .gauge, "End of the last evaluated detection window.",
                    group, verdict.endSeconds)
            for server in verdict.servers {
                let labels = group + [("server", server.server)]
                set.add("server_slowdown_ratio", .gauge, "Median task time over the server's own calm-host baseline.",
                        labels, server.slowdownRatio.flatMap { $0.isFinite ? $0 : nil })
                set.add("server_peer_ratio", .gauge, "Median task time over the median of the server's peers.",
                        labels, server.peerRatio.flatMap { $0.isFinite ? $0 : nil })
                set.add("server_outlier", .gauge, "1 while the server is flagged as significantly slower than its peers (debounced).",
                        labels, server.outlier ? 1 : 0)
                set.add("server_window_median_seconds", .gauge, "Median task time in the last window (failures count as worst).",
                        labels, server.statistics.median.flatMap { $0.isFinite ? $0 : nil })
            }
            for finding in verdict.findings {
                set.add("finding_ratio", .gauge,
                        "Open finding: its slowdown or imbalance ratio, labelled with the top-ranked cause.",
                        group + [("server", finding.server ?? ""), ("kind", finding.kind.rawValue),
                                 ("cause", finding.causes.first?.signal ?? "unknown")],
                        finding.ratio.isFinite ? finding.ratio : nil)
            }
        }
        return set.all
    }

    /// `GET /api/v1/findings`: open findings with their evidence, and the latest verdict of every group.
    struct FindingsDocument: Encodable {
        var generatedAt: Double
        var findings: [Finding]
        var groups: [GroupVerdict]
    }

    func findingsDocument(generatedAt: Double = Date().timeIntervalSince1970) -> FindingsDocument {
        let verdicts = self.verdicts
        return FindingsDocument(generatedAt: generatedAt, findings: verdicts.flatMap(\.findings), groups: verdicts)
    }
}
