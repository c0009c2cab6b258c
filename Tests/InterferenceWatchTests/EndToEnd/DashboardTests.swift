import Foundation
import Testing

/// The Grafana dashboard in `contrib/grafana`: valid JSON, every panel on the `datasource` variable, no instance
/// written in it, and every query names only metrics the daemon exports or recording rules from `rules/`.
struct DashboardTests {
    static let file = TestPaths.packageRoot.appendingPathComponent("contrib/grafana/interference-watch.json")

    static func dashboard() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.file))
        return try #require(object as? [String: Any], "the dashboard is not a JSON object")
    }

    /// Every panel, those inside rows included.
    static func panels(_ items: [[String: Any]]) -> [[String: Any]] {
        items.flatMap { [$0] + Self.panels($0["panels"] as? [[String: Any]] ?? []) }
    }

    /// The queries as `scripts/dashboard-queries.py` prints them: the list the Prometheus integration test runs.
    static func queries() async throws -> [(panel: String, expr: String)] {
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/dashboard-queries.py").path
        let run = try await Command.run(["python3", script, "--panel-titles", Self.file.path])
        #expect(run.status == 0, "\(run)")
        return run.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return (String(parts.first ?? ""), String(parts.last ?? ""))
        }
    }

    @Test func isADashboardWithDatasourceAndInstanceVariables() throws {
        let dashboard = try Self.dashboard()
        let schema = try #require(dashboard["schemaVersion"] as? Int)
        #expect((36...41).contains(schema), "schemaVersion \(schema)")
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        let datasource = try #require(variables.first { $0["name"] as? String == "datasource" })
        #expect(datasource["type"] as? String == "datasource" && datasource["query"] as? String == "prometheus")
        let instance = try #require(variables.first { $0["name"] as? String == "instance" })
        #expect(instance["type"] as? String == "query")
        let definition = instance["definition"] as? String ?? ""
        #expect(definition.hasPrefix("label_values(") && definition.hasSuffix(", instance)"), "\(definition)")
        #expect((instance["datasource"] as? [String: Any])?["uid"] as? String == "${datasource}")
        for variable in variables {
            // A saved selection would pin the dashboard to one host or one data source.
            let current = variable["current"] as? [String: Any] ?? [:]
            #expect(current.isEmpty, "variable \(variable["name"] ?? "") keeps a saved value: \(current)")
        }
    }

    @Test func everyPanelAndQueryUsesTheDatasourceVariable() async throws {
        let panels = Self.panels(try Self.dashboard()["panels"] as? [[String: Any]] ?? [])
        var targets = 0
        for panel in panels where panel["type"] as? String != "row" {
            let title = panel["title"] as? String ?? "?"
            #expect((panel["datasource"] as? [String: Any])?["uid"] as? String == "${datasource}", "panel \(title)")
            let list = panel["targets"] as? [[String: Any]] ?? []
            #expect(!list.isEmpty, "panel \(title) has no query")
            for target in list {
                targets += 1
                #expect((target["datasource"] as? [String: Any])?["uid"] as? String == "${datasource}", "a query of \(title)")
            }
        }
        #expect(try await Self.queries().count == targets, "dashboard-queries.py must print one line per query")
        // Nowhere else a data source uid: the only other datasource is Grafana's own, for its built-in annotations.
        func walk(_ value: Any, _ path: String) {
            if let object = value as? [String: Any] {
                for (key, child) in object {
                    if key == "datasource" {
                        let uid = (child as? [String: Any])?["uid"] as? String
                        #expect(uid == "${datasource}" || uid == "-- Grafana --", "\(path).datasource is \(child)")
                    }
                    walk(child, path + "." + key)
                }
            } else if let array = value as? [Any] {
                for (index, child) in array.enumerated() { walk(child, "\(path)[\(index)]") }
            }
        }
        walk(try Self.dashboard(), "")
    }

    @Test func noQueryNamesAnInstance() throws {
        let raw = try Self.panels(Self.dashboard()["panels"] as? [[String: Any]] ?? [])
            .flatMap { $0["targets"] as? [[String: Any]] ?? [] }.compactMap { $0["expr"] as? String }
        for expr in raw {
            let matchers = PromQL.labelMatchers(expr).filter { $0.label == "instance" }
            #expect(!matchers.isEmpty, "every query filters on $instance: \(expr)")
            for matcher in matchers {
                #expect(matcher.op == "=~" && matcher.value == "$instance", "instance matcher \(matcher) in \(expr)")
            }
        }
    }

    @Test func everyMetricIsExportedOrARecordingRule() async throws {
        let exported = try PromQL.exportedMetricNames()
        let recorded = try PromQL.recordingRules()
        #expect(exported.contains("interferencewatch_group_imbalance_ratio") && exported.contains("interferencewatch_host_memory_total_bytes"))
        #expect(recorded.count >= 3)
        var used = Set<String>()
        for (panel, expr) in try await Self.queries() {
            let names = PromQL.metricNames(expr)
            #expect(!names.isEmpty, "\(panel): no metric in \(expr)")
            for name in names {
                used.insert(name)
                let histogramBase = ["_bucket", "_sum", "_count"].first { name.hasSuffix($0) }.map { String(name.dropLast($0.count)) }
                let known = exported.contains(name) || recorded.contains(name) || histogramBase.map(exported.contains) == true
                #expect(known, "\(panel): \(name) is neither exported by the daemon nor a recording rule in rules/")
            }
        }
        // The rows the issue asks for each have their metrics.
        for name in ["group_server:interferencewatch_server_latency_seconds:p90_5m", "interferencewatch_group_fairness_index",
                     "interferencewatch_workload_swap_usage_bytes", "interferencewatch_host_swap_in_bytes_total",
                     "interferencewatch_host_pressure_memory_waiting_seconds_total", "interferencewatch_vm_balloon_actual_bytes",
                     "interferencewatch_finding_ratio", "interferencewatch_alert_active",
                     "interferencewatch_host_memory_recommended_minimum_bytes", "interferencewatch_host_memory_advice_breakdown_bytes"] {
            #expect(used.contains(name), "no panel shows \(name)")
        }
    }

    @Test(arguments: [
        ("sum by (instance, le) (rate(a_bucket{x=\"y\", le!=\"1\"}[5m]))", ["a_bucket"]),
        ("a:b:c{instance=~\".*\"} / on (instance) group_left (z) b_total", ["a:b:c", "b_total"]),
        ("count(c{k=\"v\"}) or vector(0)", ["c"]),
        ("topk(10, rate(d[1m])) > 0.5 and e offset 5m", ["d", "e"]),
    ])
    func metricNamesAreFoundInAQuery(expr: String, names: [String]) {
        #expect(PromQL.metricNames(expr) == Set(names))
    }

    /// promtool 2.42 has no command that parses one expression, so the queries go through `check rules` as
    /// recording rules.
    @Test func everyQueryParses() async throws {
        let queries = try await Self.queries()
        var yaml = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, query) in queries.enumerated() {
            yaml += "      - record: dashboard_query_\(index)\n        expr: '\(query.expr.replacingOccurrences(of: "'", with: "''"))'\n"
        }
        let tree = try TemporaryTree()
        try tree.write("dashboard.rules.yml", yaml)
        let result = try GoldenMetricsTests.promtool(["check", "rules", tree.root + "/dashboard.rules.yml"], input: "")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("SUCCESS: \(queries.count) rules found"), "\(result.output)")
    }
}

/// A rough PromQL reader for the dashboard checks: enough to find metric names and label matchers, not a parser.
enum PromQL {
    /// Words that are no metric: operators, modifiers, and the aggregations (`sum by (x) (...)` has a space).
    static let keywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
                                        "unless", "offset", "inf", "nan", "sum", "min", "max", "avg", "group", "stddev", "stdvar",
                                        "count", "count_values", "bottomk", "topk", "quantile"]

    /// Metric names: identifiers outside strings, braces and brackets, not followed by `(` (a function or an
    /// aggregation), and not a keyword or the label list of `by (...)`, `on (...)` and the like.
    static func metricNames(_ expr: String) -> Set<String> {
        var names = Set<String>()
        let chars = Array(expr)
        var index = 0
        var skipNextParens = false
        func isStart(_ c: Character) -> Bool { c.isLetter || c == "_" || c == ":" }
        func isPart(_ c: Character) -> Bool { isStart(c) || c.isNumber }
        while index < chars.count {
            let c = chars[index]
            if c == "\"" || c == "'" {
                index += 1
                while index < chars.count && chars[index] != c { index += chars[index] == "\\" ? 2 : 1 }
                index += 1
            } else if c == "{" || c == "[" {
                let close: Character = c == "{" ? "}" : "]"
                while index < chars.count && chars[index] != close {
                    if chars[index] == "\"" {
                        index += 1
                        while index < chars.count && chars[index] != "\"" { index += chars[index] == "\\" ? 2 : 1 }
                    }
                    index += 1
                }
                index += 1
            } else if c == "(" && skipNextParens {
                while index < chars.count && chars[index] != ")" { index += 1 }
                skipNextParens = false
                index += 1
            } else if isStart(c) && (index == 0 || !isPart(chars[index - 1])) {
                var end = index
                while end < chars.count && isPart(chars[end]) { end += 1 }
                let word = String(chars[index..<end])
                var next = end
                while next < chars.count && chars[next] == " " { next += 1 }
                let call = next < chars.count && chars[next] == "("
                if ["by", "without", "on", "ignoring", "group_left", "group_right"].contains(word) {
                    skipNextParens = true
                } else if !call && !Self.keywords.contains(word.lowercased()) {
                    names.insert(word)
                }
                index = end
            } else {
                index += 1
            }
        }
        return names
    }

    struct Matcher: CustomStringConvertible {
        var label: String
        var op: String
        var value: String
        var description: String { "\(self.label)\(self.op)\"\(self.value)\"" }
    }

    /// Every `label op "value"` inside braces.
    static func labelMatchers(_ expr: String) -> [Matcher] {
        var result: [Matcher] = []
        for block in expr.split(separator: "{").dropFirst() {
            let body = block.prefix { $0 != "}" }
            for part in body.split(separator: ",") {
                let text = part.trimmingCharacters(in: .whitespaces)
                guard let quote = text.firstIndex(of: "\"") else { continue }
                let head = text[..<quote].trimmingCharacters(in: .whitespaces)
                let op = ["=~", "!~", "!=", "="].first { head.hasSuffix($0) } ?? "?"
                let label = String(head.dropLast(op.count)).trimmingCharacters(in: .whitespaces)
                let value = String(text[text.index(after: quote)...].dropLast())
                result.append(Matcher(label: label, op: op, value: value))
            }
        }
        return result
    }

    /// Names in the golden expositions (samples and `# TYPE` lines), and the families the daemon's exposition code
    /// adds (`set.add("name", ...)`, `FamilySet.namespace + "_name"`): the golden fixtures have no groups, VMs,
    /// findings or alerts, so those names come from the code that renders them.
    static func exportedMetricNames() throws -> Set<String> {
        var names = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: TestPaths.golden.path) where file.hasSuffix(".prom") {
            for line in try String(contentsOf: TestPaths.golden.appendingPathComponent(file), encoding: .utf8).split(separator: "\n") {
                if line.hasPrefix("# TYPE ") {
                    names.insert(String(line.split(separator: " ")[2]))
                } else if !line.hasPrefix("#") {
                    names.insert(String(line.prefix { $0 != "{" && $0 != " " }))
                }
            }
        }
        let sources = TestPaths.packageRoot.appendingPathComponent("Sources/InterferenceWatch")
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for marker in ["add(\"", "namespace + \"_"] {
                for piece in text.components(separatedBy: marker).dropFirst() {
                    let name = piece.prefix { $0.isLowercase || $0.isNumber || $0 == "_" }
                    if piece.dropFirst(name.count).first == "\"" && !name.isEmpty { names.insert("interferencewatch_" + name) }
                }
            }
        }
        return names
    }

    /// `record:` names in `rules/*.yml`.
    static func recordingRules() throws -> Set<String> {
        let rules = TestPaths.packageRoot.appendingPathComponent("rules")
        var names = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: rules.path) where file.hasSuffix(".yml") {
            for line in try String(contentsOf: rules.appendingPathComponent(file), encoding: .utf8).split(separator: "\n") {
                let text = line.trimmingCharacters(in: .whitespaces)
                if text.hasPrefix("- record:") || text.hasPrefix("record:") {
                    names.insert(String(text.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces))
                }
            }
        }
        return names
    }
}
