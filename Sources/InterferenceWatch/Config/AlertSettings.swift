import Detectors
import Foundation
import Parsers
import Yams

/// The `alerts:` section of the config file.
///
/// ```yaml
/// alerts:
///   resend_interval: 1m
///   rules:                                  # changes to the shipped rules (by name), or new ones
///     - {name: InterferenceWatchHostSwapStorm, threshold: 0.005, for: 5m}
///     - {name: InterferenceWatchHostMemoryBelowRecommended, enabled: false}
///     - name: LabServerSlow
///       condition: imbalance
///       labels: {team: lab}
///       summary: "{{server}} is {{ratio}}x slower"
///   alertmanagers:
///     - url: http://127.0.0.1:9093
///       bearer_token_file: /etc/interference-watch/am-token     # or basic_auth: {username: u, password_file: f}
///       ca_file: /etc/ssl/am-ca.pem
///   webhooks:
///     - {url: "http://127.0.0.1:8080/hook", secret_file: /etc/interference-watch/hook-secret}
/// ```
struct AlertSettings: Sendable, Equatable {
    struct Alertmanager: Sendable, Equatable {
        var url: String
        var bearerTokenFile: String?
        var username: String?
        var passwordFile: String?
        var caFile: String?
        var line = 0
    }

    struct Webhook: Sendable, Equatable {
        var url: String
        /// HMAC-SHA256 key: the request carries `X-InterferenceWatch-Signature: sha256=<hex of HMAC(body)>`.
        var secretFile: String?
        var line = 0
    }

    var rules: [AlertRule] = AlertRule.defaults
    var resendIntervalSeconds: Double = 60
    var alertmanagers: [Alertmanager] = []
    var webhooks: [Webhook] = []

    static func parse(_ node: ConfigNode) throws -> AlertSettings {
        let fields = try node.mapping(allowed: ["resend_interval", "rules", "alertmanagers", "webhooks"])
        var settings = AlertSettings()
        if let interval = fields["resend_interval"] {
            settings.resendIntervalSeconds = Double(try interval.duration().components.seconds)
            guard settings.resendIntervalSeconds >= 1 else { throw interval.error("resend_interval must be at least 1s") }
        }
        if let rules = fields["rules"] {
            for entry in try rules.sequence() { try settings.apply(entry) }
        }
        if let list = fields["alertmanagers"] {
            for entry in try list.sequence() {
                let f = try entry.mapping(allowed: ["url", "bearer_token_file", "basic_auth", "ca_file"])
                guard let url = f["url"] else { throw entry.error("missing \"url\"") }
                var am = Alertmanager(url: try Self.httpURL(url), line: entry.line)
                am.bearerTokenFile = try f["bearer_token_file"]?.nonEmptyString()
                if let basic = f["basic_auth"] {
                    let b = try basic.mapping(allowed: ["username", "password_file"])
                    guard let user = b["username"], let password = b["password_file"] else {
                        throw basic.error("basic_auth needs username and password_file")
                    }
                    am.username = try user.nonEmptyString()
                    am.passwordFile = try password.nonEmptyString()
                }
                if am.bearerTokenFile != nil && am.username != nil { throw entry.error("give bearer_token_file or basic_auth, not both") }
                am.caFile = try f["ca_file"]?.nonEmptyString()
                settings.alertmanagers.append(am)
            }
        }
        if let list = fields["webhooks"] {
            for entry in try list.sequence() {
                let f = try entry.mapping(allowed: ["url", "secret_file"])
                guard let url = f["url"] else { throw entry.error("missing \"url\"") }
                settings.webhooks.append(Webhook(url: try Self.httpURL(url), secretFile: try f["secret_file"]?.nonEmptyString(), line: entry.line))
            }
        }
        return settings
    }

    /// One `rules:` entry: a change to a shipped rule, or a new rule (which needs a `condition`).
    private mutating func apply(_ entry: ConfigNode) throws {
        let f = try entry.mapping(allowed: ["name", "condition", "threshold", "clear", "for", "keep_firing_for", "severity",
                                            "labels", "summary", "description", "enabled"])
        guard let nameNode = f["name"] else { throw entry.error("missing \"name\"") }
        let name = try nameNode.nonEmptyString()
        let index = self.rules.firstIndex { $0.name == name }
        if let enabled = f["enabled"], try !enabled.bool() {
            guard let index else { throw nameNode.error("no rule \"\(name)\" to disable") }
            self.rules.remove(at: index)
            return
        }
        var rule: AlertRule
        if let index {
            rule = self.rules[index]
            if f["condition"] != nil { throw f["condition"]!.error("a shipped rule keeps its condition; give the new rule another name") }
        } else {
            guard let conditionNode = f["condition"] else {
                throw entry.error("new rule \"\(name)\" needs a condition (\(AlertRule.Condition.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let condition = AlertRule.Condition(rawValue: try conditionNode.string()) else {
                throw conditionNode.error("unknown condition; one of \(AlertRule.Condition.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            rule = AlertRule(name: name, condition: condition, threshold: 0, summary: "{{alertname}}")
        }
        if let node = f["threshold"] { rule.threshold = try node.double() }
        if let node = f["clear"] { rule.clearThreshold = try node.double() }
        if f["threshold"] != nil && f["clear"] == nil { rule.clearThreshold = rule.threshold }
        guard rule.clearThreshold <= rule.threshold else {
            throw (f["clear"] ?? entry).error("clear (\(rule.clearThreshold)) must not be above threshold (\(rule.threshold))")
        }
        if let node = f["for"] { rule.forSeconds = Self.seconds(try node.duration()) }
        if let node = f["keep_firing_for"] { rule.keepFiringForSeconds = Self.seconds(try node.duration()) }
        if let node = f["severity"] { rule.severity = try node.nonEmptyString() }
        if let node = f["summary"] { rule.summary = try node.string() }
        if let node = f["description"] { rule.description = try node.string() }
        if let node = f["labels"] {
            guard let mapping = node.node.mapping else { throw node.error("expected a mapping of label names to values") }
            for (key, value) in mapping {
                let child = ConfigNode(node: value, file: node.file, keyPath: "\(node.keyPath).\(key.string ?? "?")")
                guard let name = key.string, PrometheusNames.isLabelName(name) else { throw child.error("not a label name") }
                guard !["alertname", "severity", "group", "server", "kind", "cause", "workload", "vm"].contains(name) else {
                    throw child.error("label \"\(name)\" is set by the daemon")
                }
                rule.labels[name] = try child.string()
            }
        }
        if let index { self.rules[index] = rule } else { self.rules.append(rule) }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func httpURL(_ node: ConfigNode) throws -> String {
        let text = try node.nonEmptyString()
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw node.error("\"\(text)\" is not an http(s) URL")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
}
