import Detectors
import Foundation

/// `/`: the state at a glance, without script: every group and server with its latency and imbalance (small charts
/// of the last hour from history), active findings, host memory and swap, the RAM advice, recent episodes with links
/// to their reports, and links to `/metrics` and the JSON API. Every name shown is escaped (cgroups, VMs and servers
/// are named by others).
struct StatusPage {
    var version: String
    var telemetryPath: String
    var generatedAtSeconds: Double
    var latest: Sweep
    var verdicts: [GroupVerdict]
    var advice: HostMemoryRecommendation?
    var episodes: [Episode]
    /// Pending, firing and recently resolved alerts.
    var alerts: [Alert] = []
    /// Per group and server, the last hour's median task time per minute.
    var serverSeries: [String: [String: [[Double]]]]
    /// Per group, the last hour's imbalance ratio per window.
    var imbalanceSeries: [String: [[Double]]]

    var html: String {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>InterferenceWatch</title>
            <link rel="icon" href="data:,">
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:64rem;margin:1.5rem auto;padding:0 1rem;color:#222}
            h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #ddd}
            table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:middle}
            .bad{color:#b00;font-weight:600}.ok{color:#080}.muted{color:#666}.tick{font-size:10px;fill:#555}.empty{font-size:10px;fill:#888}
            </style></head><body>
            <h1>InterferenceWatch <span class="muted">\(HTML.escape(self.version))</span></h1>
            <p class="muted">as of \(HTML.escape(TimeExpression.format(self.generatedAtSeconds))) ·
            <a href="\(HTML.escape(self.telemetryPath))">metrics</a> ·
            <a href="/api/v1/findings">findings</a> · <a href="/api/v1/advice">advice</a> · <a href="/api/v1/episodes">episodes</a> (JSON)</p>

            """
        out += self.hostSection
        out += "<h2>Groups</h2>\n"
        if self.verdicts.isEmpty { out += "<p class=\"muted\">No group configured, or no detection window closed yet.</p>\n" }
        for verdict in self.verdicts {
            let imbalance = verdict.imbalanceRatio.map { String(format: "%.2f", $0) } ?? "n/a"
            let fairness = verdict.fairnessIndex.map { String(format: "%.2f", $0) } ?? "n/a"
            out += "<h3>\(HTML.escape(verdict.group)) <span class=\"muted\">imbalance \(imbalance), fairness \(fairness)</span></h3>\n"
            out += SVGChart(title: "imbalance of \(verdict.group), last hour", unit: "ratio",
                            series: [("imbalance", self.imbalanceSeries[verdict.group] ?? [])], width: 240, height: 40, compact: true).svg
            out += "\n<table><tr><th>server</th><th>median task time</th><th>vs peers</th><th>vs own baseline</th><th>state</th><th>last hour</th></tr>\n"
            for server in verdict.servers {
                let median = server.statistics.median.map { $0.isFinite ? SVGChart.format($0, unit: "seconds") : "failing" } ?? "no request"
                let peers = server.peerRatio.map { $0.isFinite ? String(format: "%.2fx", $0) : "failing" } ?? "n/a"
                let own = server.slowdownRatio.map { $0.isFinite ? String(format: "%.2fx", $0) : "failing" } ?? "learning"
                let state = server.outlier ? "<span class=\"bad\">outlier</span>" : "<span class=\"ok\">ok</span>"
                let chart = SVGChart(title: "task time of \(server.server), last hour", unit: "seconds",
                                     series: [(server.server, self.serverSeries[verdict.group]?[server.server] ?? [])],
                                     width: 160, height: 30, compact: true).svg
                out += "<tr><td>\(HTML.escape(server.server))</td><td>\(median)</td><td>\(peers)</td><td>\(own)</td><td>\(state)</td><td>\(chart)</td></tr>\n"
            }
            out += "</table>\n"
        }
        out += "<h2>Active findings</h2>\n"
        let findings = self.verdicts.flatMap(\.findings)
        if findings.isEmpty {
            out += "<p class=\"ok\">None: every group is balanced and at its usual speed.</p>\n"
        } else {
            out += "<table><tr><th>group</th><th>server</th><th>kind</th><th>ratio</th><th>since</th><th>top cause</th></tr>\n"
            for f in findings {
                out += "<tr><td>\(HTML.escape(f.group))</td><td>\(HTML.escape(f.server ?? "all"))</td><td>\(f.kind.rawValue)</td>"
                    + "<td>\(f.ratio.isFinite ? String(format: "%.2fx", f.ratio) : "failing")</td><td>\(HTML.escape(TimeExpression.format(f.sinceSeconds)))</td>"
                    + "<td>\(HTML.escape(f.causes.first?.summary ?? "no memory signal"))</td></tr>\n"
            }
            out += "</table>\n"
        }
        out += "<h2>Alerts</h2>\n"
        if self.alerts.isEmpty {
            out += "<p class=\"ok\">None.</p>\n"
        } else {
            out += "<table><tr><th>alert</th><th>state</th><th>since</th><th>labels</th><th>summary</th></tr>\n"
            for alert in self.alerts {
                let labels = alert.labels.keys.sorted().filter { $0 != "alertname" }.map { "\($0)=\(alert.labels[$0]!)" }.joined(separator: " ")
                let state = alert.state == .firing ? "<span class=\"bad\">firing</span>" : alert.state.rawValue
                out += "<tr><td>\(HTML.escape(alert.rule))</td><td>\(state)</td><td>\(HTML.escape(TimeExpression.format(alert.activeSinceSeconds)))</td>"
                    + "<td>\(HTML.escape(labels))</td><td>\(HTML.escape(alert.annotations["summary"] ?? ""))</td></tr>\n"
            }
            out += "</table>\n"
        }
        out += "<h2>Recent episodes</h2>\n"
        if self.episodes.isEmpty {
            out += "<p class=\"muted\">None recorded.</p>\n"
        } else {
            out += "<table><tr><th>#</th><th>group</th><th>server</th><th>kind</th><th>opened</th><th>resolved</th><th>report</th></tr>\n"
            for episode in self.episodes {
                let link = "/api/v1/report?episode=\(episode.id)&amp;format=html"
                out += "<tr><td>\(episode.id)</td><td>\(HTML.escape(episode.group))</td><td>\(HTML.escape(episode.server ?? "all"))</td>"
                    + "<td>\(episode.kind.rawValue)</td><td>\(HTML.escape(TimeExpression.format(episode.openedAtSeconds)))</td>"
                    + "<td>\(HTML.escape(episode.resolvedAtSeconds.map(TimeExpression.format) ?? "open"))</td>"
                    + "<td><a href=\"\(link)\">HTML</a> · <a href=\"/api/v1/report?episode=\(episode.id)&amp;format=md\">Markdown</a></td></tr>\n"
            }
            out += "</table>\n"
        }
        out += "</body></html>\n"
        return out
    }

    private var hostSection: String {
        let m = self.latest.host.meminfoBytes
        var out = "<h2>Host memory</h2>\n<table>\n"
        func row(_ label: String, _ value: UInt64?) {
            out += "<tr><th>\(label)</th><td>\(value.map { SVGChart.bytes(Double($0)) } ?? "n/a")</td></tr>\n"
        }
        row("installed", m["MemTotal"])
        row("available", m["MemAvailable"])
        if let total = m["SwapTotal"], let free = m["SwapFree"] { row("in swap", total > free ? total - free : 0) } else { row("in swap", nil) }
        if let advice = self.advice {
            let verdict = advice.shortfallBytes > 0
                ? "<span class=\"bad\">short by \(SVGChart.bytes(Double(advice.shortfallBytes)))</span>"
                : "<span class=\"ok\">enough</span>"
            let history = advice.confidence.enough
                ? "\(DurationText.span(advice.observedSeconds)) of history"
                : "not enough history: \(DurationText.span(advice.observedSeconds))"
            out += "<tr><th>recommended minimum</th><td>\(SVGChart.bytes(Double(advice.minimumBytes))) (\(verdict); workloads' demand "
                + "\(SVGChart.bytes(Double(advice.demandBytes))), \(history))</td></tr>\n"
            out += "<tr><th>why</th><td><ul>" + advice.reasons.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul></td></tr>\n"
        }
        out += "</table>\n"
        return out
    }
}
