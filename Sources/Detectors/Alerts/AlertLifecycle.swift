/// The alert state machine: inactive, pending, firing, resolved; deduplicated by rule and identity labels.
///
/// Pure and clock-free: each evaluation brings its time and what every rule's condition saw. An alert fires once per
/// episode: it stays firing while its condition holds (above the clear threshold once active) and for
/// `keep_firing_for` after, and only a new activation after it resolved starts a new alert. Resolved alerts are
/// kept for ``resolvedRetentionSeconds`` (Prometheus re-sends them for 15 minutes, so a missed notification heals).
public struct AlertLifecycle: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable, Codable {
        case inactive, pending, firing, resolved
    }

    public struct Transition: Sendable, Equatable, Codable {
        public var atSeconds: Double
        public var alert: Alert
        public var from: Phase
        public var to: Phase
    }

    public var resolvedRetentionSeconds: Double
    /// Pending and firing alerts by identity.
    public private(set) var active: [String: Alert] = [:]
    /// Resolved alerts still being reported, oldest first.
    public private(set) var resolved: [Alert] = []

    public init(resolvedRetentionSeconds: Double = 900) {
        self.resolvedRetentionSeconds = resolvedRetentionSeconds
    }

    public mutating func evaluate(nowSeconds now: Double, rules: [AlertRule], candidates: [AlertCandidate]) -> [Transition] {
        let byName = Dictionary(rules.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var transitions: [Transition] = []
        var held: Set<String> = []
        for candidate in candidates {
            guard let rule = byName[candidate.rule] else { continue }
            let identity = rule.name + "|" + candidate.labels.keys.sorted().map { "\($0)=\(candidate.labels[$0]!)" }.joined(separator: ",")
            let existing = self.active[identity]
            let holds = candidate.value >= rule.threshold || (existing != nil && candidate.value >= rule.clearThreshold)
            guard holds else { continue }
            held.insert(identity)
            var alert = existing ?? Alert(
                identity: identity, rule: rule.name, severity: rule.severity,
                labels: rule.labels.merging(candidate.labels) { _, new in new }.merging(["alertname": rule.name, "severity": rule.severity]) { _, new in new },
                annotations: [:], state: .pending, activeSinceSeconds: now, lastActiveSeconds: now, value: candidate.value)
            alert.lastActiveSeconds = now
            alert.value = candidate.value
            if existing == nil { transitions.append(Transition(atSeconds: now, alert: alert, from: .inactive, to: .pending)) }
            if alert.state == .pending && now - alert.activeSinceSeconds >= rule.forSeconds {
                alert.state = .firing
                alert.firedAtSeconds = now
                alert.labels.merge(candidate.fixedLabels) { old, _ in old }
                alert.annotations = Self.annotations(rule, alert, candidate)
                transitions.append(Transition(atSeconds: now, alert: alert, from: .pending, to: .firing))
            }
            alert.annotations = Self.annotations(rule, alert, candidate)
            self.active[identity] = alert
        }
        for identity in self.active.keys.sorted() where !held.contains(identity) {
            var alert = self.active[identity]!
            let keep = byName[alert.rule]?.keepFiringForSeconds ?? 0
            switch alert.state {
            case .pending:
                self.active[identity] = nil
                transitions.append(Transition(atSeconds: now, alert: alert, from: .pending, to: .inactive))
            case .firing where now - alert.lastActiveSeconds < keep:
                continue
            default:
                alert.state = .resolved
                alert.resolvedAtSeconds = now
                self.active[identity] = nil
                self.resolved.append(alert)
                transitions.append(Transition(atSeconds: now, alert: alert, from: .firing, to: .resolved))
            }
        }
        self.resolved.removeAll { now - ($0.resolvedAtSeconds ?? now) > self.resolvedRetentionSeconds }
        // By alert, each alert's steps in the order they happened.
        return transitions.enumerated().sorted { ($0.element.alert.identity, $0.offset) < ($1.element.alert.identity, $1.offset) }.map(\.element)
    }

    /// Moves every time the alerts hold by `seconds`: the wall clock was stepped by that much, and without this a
    /// step forward would fire pending alerts and resolve `keep_firing_for` ones at once, and a step back would
    /// hold them for as long as the step. Durations (pending for, firing since) stay what they were.
    public mutating func shiftTimes(bySeconds seconds: Double) {
        func shifted(_ alert: Alert) -> Alert {
            var alert = alert
            alert.activeSinceSeconds += seconds
            alert.lastActiveSeconds += seconds
            alert.firedAtSeconds = alert.firedAtSeconds.map { $0 + seconds }
            alert.resolvedAtSeconds = alert.resolvedAtSeconds.map { $0 + seconds }
            return alert
        }
        self.active = self.active.mapValues(shifted)
        self.resolved = self.resolved.map(shifted)
    }

    /// Firing alerts, then resolved ones still reported, each by identity.
    public var reported: [Alert] {
        self.active.values.filter { $0.state == .firing }.sorted { $0.identity < $1.identity } + self.resolved
    }

    private static func annotations(_ rule: AlertRule, _ alert: Alert, _ candidate: AlertCandidate) -> [String: String] {
        var values = candidate.evidence.merging(alert.labels) { evidence, _ in evidence }
        values["value"] = Self.number(candidate.value)
        var out = ["summary": AlertTemplate.render(rule.summary, values)]
        if !rule.description.isEmpty { out["description"] = AlertTemplate.render(rule.description, values) }
        return out
    }

    /// Up to three decimals, trailing zeros dropped.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN" }
        return DecimalText.fixed(value, places: 3, trimmingZeros: true) ?? "\(value)"
    }
}
