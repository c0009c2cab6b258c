import Detectors
import Foundation

extension PostMortem {
    /// Markdown for a ticket: the same sections as the HTML; charts as a table of their extremes.
    var markdown: String {
        var out = "# \(self.title)\n\n"
        out += "\(TimeExpression.format(self.fromSeconds)) to \(TimeExpression.format(self.toSeconds)), generated \(TimeExpression.format(self.generatedAtSeconds))\n\n"
        out += "## Summary\n\n| | |\n|---|---|\n"
        for (label, value) in self.summaryRows { out += "| \(Self.cell(label)) | \(Self.cell(value)) |\n" }
        out += "\n\(self.summary.topCause)\n\n## Timeline\n\n"
        if self.timeline.isEmpty {
            out += "Nothing happened in this range.\n\n"
        } else {
            out += "| time (UTC) | what |\n|---|---|\n"
            for entry in self.timeline { out += "| \(TimeExpression.format(entry.atSeconds)) | \(Self.cell(entry.text)) |\n" }
            out += "\n"
        }
        out += "## Charts\n\n| chart | series | points | min | max |\n|---|---|---|---|---|\n"
        for chart in self.charts {
            for series in chart.series {
                let values = series.points.compactMap { $0.count == 2 ? $0[1] : nil }
                let low = values.min().map { SVGChart.format($0, unit: chart.unit) } ?? "-"
                let high = values.max().map { SVGChart.format($0, unit: chart.unit) } ?? "-"
                out += "| \(Self.cell(chart.title)) | \(Self.cell(series.name)) | \(values.count) | \(low) | \(high) |\n"
            }
        }
        out += "\n## Causes\n\n"
        if self.causes.isEmpty {
            out += "No cause to rank: no finding in this range.\n"
        } else {
            out += "| # | signal | where | before | during | ρ | what it means |\n|---|---|---|---|---|---|---|\n"
            for (index, cause) in self.causes.enumerated() {
                let signal = CauseSignal(rawValue: cause.signal)
                let before = cause.beforeValue.map { signal?.format($0) ?? "\($0)" } ?? "unknown"
                let during = signal?.format(cause.duringValue) ?? "\(cause.duringValue)"
                let rho = cause.correlation.map { String(format: "%.2f", $0) } ?? "n/a"
                out += "| \(index + 1) | \(cause.signal) | \(Self.cell(cause.subject ?? cause.scope)) | \(before) | \(during) | \(rho) | \(Self.cell(cause.meaning)) |\n"
            }
        }
        out += "\n## Host RAM\n\n\(self.adviceSentence)\n"
        return out
    }

    /// A table cell: pipes and newlines escaped.
    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
