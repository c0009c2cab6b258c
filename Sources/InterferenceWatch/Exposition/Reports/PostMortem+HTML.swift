import Detectors
import Foundation

extension PostMortem {
    /// One self-contained HTML file: inline SVG charts, inline style, no script, no network; prints on A4.
    var html: String {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(self.title))</title>
            <link rel="icon" href="data:,">
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#222}
            h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
            table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
            .tick{font-size:10px;fill:#555}.axis{font-size:11px;fill:#333}.empty{font-size:12px;fill:#888}
            .legend{font-size:.85rem;margin:.2rem 0 1rem}.muted{color:#666}figure{margin:0 0 1.5rem}
            @media print{body{max-width:none}h2{break-after:avoid}figure{break-inside:avoid}}
            </style></head><body>
            <h1>\(HTML.escape(self.title))</h1>
            <p class="muted">\(HTML.escape(TimeExpression.format(self.fromSeconds))) to \(HTML.escape(TimeExpression.format(self.toSeconds))) · generated \(HTML.escape(TimeExpression.format(self.generatedAtSeconds)))</p>

            """
        out += "<h2>Summary</h2>\n<table>\n"
        for (label, value) in self.summaryRows { out += "<tr><th>\(HTML.escape(label))</th><td>\(HTML.escape(value))</td></tr>\n" }
        out += "</table>\n<p>\(HTML.escape(self.summary.topCause))</p>\n"
        out += "<h2>Timeline</h2>\n"
        if self.timeline.isEmpty {
            out += "<p class=\"muted\">Nothing happened in this range: no finding opened or resolved, no balloon moved, no neighbour grew.</p>\n"
        } else {
            out += "<table><tr><th>time (UTC)</th><th>what</th></tr>\n"
            for entry in self.timeline {
                out += "<tr><td>\(HTML.escape(TimeExpression.format(entry.atSeconds)))</td><td>\(HTML.escape(entry.text))</td></tr>\n"
            }
            out += "</table>\n"
        }
        out += "<h2>Charts</h2>\n"
        for chart in self.charts {
            out += "<figure id=\"\(HTML.escape(chart.id))\"><figcaption><strong>\(HTML.escape(chart.title))</strong> <span class=\"muted\">(\(HTML.escape(chart.unit)))</span></figcaption>\n"
            out += SVGChart(title: chart.title, unit: chart.unit, series: chart.series.map { ($0.name, $0.points) }).svg
            out += "</figure>\n"
        }
        out += "<h2>Causes</h2>\n"
        if self.causes.isEmpty {
            out += "<p class=\"muted\">No cause to rank: no finding in this range.</p>\n"
        } else {
            out += "<table><tr><th>#</th><th>signal</th><th>where</th><th>before</th><th>during</th><th>ρ with latency</th><th>what it means</th></tr>\n"
            for (index, cause) in self.causes.enumerated() {
                let signal = CauseSignal(rawValue: cause.signal)
                let before = cause.beforeValue.map { signal?.format($0) ?? "\($0)" } ?? "unknown"
                let during = signal?.format(cause.duringValue) ?? "\(cause.duringValue)"
                let rho = cause.correlation.map { String(format: "%.2f", $0) } ?? "n/a"
                out += "<tr><td>\(index + 1)</td><td>\(HTML.escape(cause.signal))</td><td>\(HTML.escape(cause.subject ?? cause.scope))</td>"
                    + "<td>\(HTML.escape(before))</td><td>\(HTML.escape(during))</td><td>\(rho)</td><td>\(HTML.escape(cause.meaning))</td></tr>\n"
            }
            out += "</table>\n"
        }
        out += "<h2>Host RAM</h2>\n<p>\(HTML.escape(self.adviceSentence))</p>\n"
        out += "</body></html>\n"
        return out
    }

    /// The summary table, shared by HTML and Markdown.
    var summaryRows: [(String, String)] {
        var rows: [(String, String)] = [("group", self.summary.group), ("servers", self.summary.servers.joined(separator: ", "))]
        if !self.summary.flagged.isEmpty { rows.append(("flagged", self.summary.flagged.joined(separator: ", "))) }
        if let kind = self.summary.kind { rows.append(("finding", kind)) }
        if let start = self.summary.startedAtSeconds { rows.append(("began", TimeExpression.format(start))) }
        rows.append(("ended", self.summary.endedAtSeconds.map(TimeExpression.format) ?? (self.summary.kind == nil ? "n/a" : "still open")))
        if let delay = self.summary.timeToDetectionSeconds { rows.append(("time to detection", String(format: "%.0f s", delay))) }
        if let ratio = self.summary.ratio {
            rows.append((self.summary.kind == "imbalance" ? "slower than peers" : "slower than baseline",
                         ratio.isFinite ? String(format: "%.2fx", ratio) : "mostly failing"))
        }
        if let slowdown = self.summary.slowdownRatio { rows.append(("largest slowdown against own baseline", String(format: "%.2fx", slowdown))) }
        return rows
    }

    var adviceSentence: String {
        guard let advice = self.advice else { return "No host memory data in this range." }
        let verdict = advice.shortfallBytes > 0
            ? "the host was short by \(SVGChart.bytes(Double(advice.shortfallBytes)))"
            : "the host had enough"
        return "Installed \(SVGChart.bytes(Double(advice.installedBytes))); the workloads needed "
            + "\(SVGChart.bytes(Double(advice.demandBytes))) (swap counted as far as it was read back); the raw peak of used + "
            + "swapped + ballooned memory was \(SVGChart.bytes(Double(advice.peakDemandBytes))) at \(TimeExpression.format(advice.peakAtSeconds)); "
            + "this range alone calls for at least \(SVGChart.bytes(Double(advice.recommendedBytes))), so \(verdict)."
    }
}
