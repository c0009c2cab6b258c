import Parsers
import Yams

/// A group of co-located servers doing the same work, from the config file's `groups:` list.
///
/// ```yaml
/// groups:
///   - name: api
///     probe: {interval: 2s, timeout: 60s}
///     servers:
///       - {name: s1, url: "http://127.0.0.1:8081/task", cgroup: /lab/s1}
///       - {name: s2, url: "http://127.0.0.1:8082/task", workload: web-1}
///       - {name: s3, url: "http://127.0.0.1:8083/task", pid: 4242}
///       - name: s4
///         url: "http://127.0.0.1:8084/task"
///         scrape: {url: "http://127.0.0.1:9100/metrics", metric: http_request_duration_seconds,
///                  labels: {handler: /task}, interval: 15s}
/// ```
struct GroupSettings: Sendable, Equatable {
    struct Probe: Sendable, Equatable {
        var interval: Duration = .seconds(2)
        var timeout: Duration = .seconds(60)
    }

    /// Where a server runs, so its latency can be joined to its memory signals.
    enum Placement: Sendable, Equatable {
        /// A cgroup path under the hierarchy root(s); also becomes a `type="cgroup"` workload.
        case cgroup(String)
        /// A workload name as it appears in /metrics (`web-1`, `3f4e1b2c9a8d`, `nginx.service`).
        case workload(String)
        /// A plain process; becomes a `type="process"` workload named after the server.
        case pid(Int32)
        case none
    }

    struct Server: Sendable, Equatable {
        var name: String
        /// Probe URL; `nil` when latency comes only from scraping or pushes.
        var url: String?
        var placement: Placement
        /// The server's own Prometheus histogram, when it has one.
        var scrape: Scrape? = nil
    }

    /// Where to scrape a server's own latency histogram, and which series of it to use.
    struct Scrape: Sendable, Equatable {
        /// The exposition endpoint, e.g. `http://127.0.0.1:9100/metrics`.
        var url: String
        /// The histogram's base name, without `_bucket`, `_sum`, `_count`.
        var metric: String
        /// Series must carry all of these labels; series differing in other labels are summed.
        var labels: [String: String] = [:]
        var interval: Duration = .seconds(15)
        var timeout: Duration = .seconds(10)
    }

    var name: String
    /// `nil` when the group is not probed.
    var probe: Probe?
    var servers: [Server]

    /// The workload name the server's memory signals are found under.
    func workloadName(of server: Server) -> String? {
        switch server.placement {
        case .cgroup: "\(self.name)/\(server.name)"
        case .workload(let name): name
        case .pid: "\(self.name)/\(server.name)"
        case .none: nil
        }
    }

    static let serverKeys: Set<String> = ["name", "url", "cgroup", "workload", "pid", "scrape"]
    static let scrapeKeys: Set<String> = ["url", "metric", "labels", "interval", "timeout"]

    static func parse(_ node: ConfigNode) throws -> GroupSettings {
        let fields = try node.mapping(allowed: ["name", "probe", "servers"])
        guard let name = try fields["name"]?.nonEmptyString() else { throw node.error("missing \"name\"") }
        var group = GroupSettings(name: name, probe: nil, servers: [])
        if let probeNode = fields["probe"] {
            let p = try probeNode.mapping(allowed: ["interval", "timeout"])
            var probe = Probe()
            if let interval = p["interval"] { probe.interval = try interval.duration() }
            if let timeout = p["timeout"] { probe.timeout = try timeout.duration() }
            guard probe.timeout > .zero else { throw probeNode.error("timeout must be positive") }
            group.probe = probe
        }
        guard let serversNode = fields["servers"] else { throw node.error("missing \"servers\"") }
        var seen: Set<String> = []
        for entry in try serversNode.sequence() {
            let s = try entry.mapping(allowed: Self.serverKeys)
            guard let serverName = try s["name"]?.nonEmptyString() else { throw entry.error("missing \"name\"") }
            guard seen.insert(serverName).inserted else { throw entry.error("server name \"\(serverName)\" used twice") }
            let url = try s["url"]?.nonEmptyString()
            if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                throw s["url"]!.error("expected an http:// or https:// URL, got \"\(url)\"")
            }
            let placements = [s["cgroup"], s["workload"], s["pid"]].compactMap { $0 }
            guard placements.count <= 1 else { throw entry.error("give at most one of cgroup, workload, pid") }
            var placement = Placement.none
            if let cgroup = s["cgroup"] { placement = .cgroup(try cgroup.nonEmptyString()) }
            if let workload = s["workload"] { placement = .workload(try workload.nonEmptyString()) }
            if let pid = s["pid"] { placement = .pid(Int32(try pid.int(in: 1...Int(Int32.max)))) }
            if group.probe != nil && url == nil { throw entry.error("the group is probed, so every server needs a \"url\"") }
            let scrape = try s["scrape"].map(Self.parseScrape)
            group.servers.append(Server(name: serverName, url: url, placement: placement, scrape: scrape))
        }
        guard group.servers.count >= 2 else { throw serversNode.error("a group needs at least two servers to compare") }
        return group
    }

    static func parseScrape(_ node: ConfigNode) throws -> Scrape {
        let fields = try node.mapping(allowed: Self.scrapeKeys)
        guard let urlNode = fields["url"] else { throw node.error("missing \"url\"") }
        let url = try urlNode.nonEmptyString()
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw urlNode.error("expected an http:// or https:// URL, got \"\(url)\"")
        }
        guard let metricNode = fields["metric"] else { throw node.error("missing \"metric\" (the histogram's name)") }
        var metric = try metricNode.nonEmptyString()
        guard PrometheusNames.isMetricName(metric) else { throw metricNode.error("\"\(metric)\" is not a Prometheus metric name") }
        // Accept the name of one of the histogram's series too: people copy it from /metrics.
        for suffix in ["_bucket", "_sum", "_count"] where metric.hasSuffix(suffix) {
            metric.removeLast(suffix.count)
        }
        var scrape = Scrape(url: url, metric: metric)
        if let labelsNode = fields["labels"] {
            guard let mapping = labelsNode.node.mapping else { throw labelsNode.error("expected a mapping of label names to values") }
            for (key, value) in mapping {
                let line = key.mark?.line ?? labelsNode.line
                guard let name = key.string, PrometheusNames.isLabelName(name) else {
                    throw ConfigError(file: node.file, line: line, message: "\(labelsNode.keyPath): invalid label name \"\(key.string ?? "?")\"")
                }
                guard name != "le" else {
                    throw ConfigError(file: node.file, line: line, message: "\(labelsNode.keyPath): \"le\" is the bucket label and cannot be matched")
                }
                let child = ConfigNode(node: value, file: node.file, keyPath: "\(labelsNode.keyPath).\(name)")
                scrape.labels[name] = try child.string()
            }
        }
        if let interval = fields["interval"] { scrape.interval = try interval.duration() }
        guard scrape.interval >= .seconds(1) else { throw (fields["interval"] ?? node).error("interval must be at least 1s") }
        if let timeout = fields["timeout"] { scrape.timeout = try timeout.duration() }
        guard scrape.timeout > .zero else { throw (fields["timeout"] ?? node).error("timeout must be positive") }
        return scrape
    }
}
