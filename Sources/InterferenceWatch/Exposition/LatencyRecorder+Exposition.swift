import Detectors

extension LatencyRecorder {
    /// `interferencewatch_server_latency_seconds` (histogram, successes only, cumulative since start),
    /// `interferencewatch_server_probe_errors_total` and `interferencewatch_server_scrape_errors_total`.
    func families() -> [MetricFamily] {
        let totals = self.totals
        let (histograms, probeErrors, scrapeErrors) = (totals.histograms, totals.probeErrors, totals.scrapeErrors)
        var latency = MetricFamily(
            name: FamilySet.namespace + "_server_latency_seconds",
            help: "Latency of each server of a group: probe = client-observed, scrape = from the server's own histogram, push = sent to us. Failed probes are not observed.",
            kind: .histogram)
        let bounds = self.bucketsSeconds.map { ExpositionWriter.format($0) } + ["+Inf"]
        for key in histograms.keys.sorted() {
            let h = histograms[key]!
            let labels: [(name: String, value: String)] = [("group", key.group), ("server", key.server), ("source", key.source.rawValue)]
            var cumulative: UInt64 = 0
            for (index, bound) in bounds.enumerated() {
                cumulative += h.counts[index]
                latency.samples.append(.init(suffix: "_bucket", labels: labels + [("le", bound)], value: Double(cumulative)))
            }
            latency.samples.append(.init(suffix: "_sum", labels: labels, value: h.sum))
            latency.samples.append(.init(suffix: "_count", labels: labels, value: Double(h.count)))
        }
        var probe = MetricFamily(name: FamilySet.namespace + "_server_probe_errors_total",
                                 help: "Probes of a server that failed, by reason (timeout, or error: refused, non-2xx, body too large).",
                                 kind: .counter)
        for (key, value) in probeErrors.sorted(by: { ($0.key.group, $0.key.server, $0.key.reason) < ($1.key.group, $1.key.server, $1.key.reason) }) {
            probe.samples.append(.init(labels: [("group", key.group), ("server", key.server), ("reason", key.reason)], value: Double(value)))
        }
        var scrape = MetricFamily(name: FamilySet.namespace + "_server_scrape_errors_total",
                                  help: "Scrapes of a server's own latency histogram that failed or could not be parsed.",
                                  kind: .counter)
        for (key, value) in scrapeErrors.sorted(by: { ($0.key.group, $0.key.server) < ($1.key.group, $1.key.server) }) {
            scrape.samples.append(.init(labels: [("group", key.group), ("server", key.server)], value: Double(value)))
        }
        return [latency, probe, scrape]
    }
}
