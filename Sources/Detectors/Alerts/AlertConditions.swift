/// What every rule's condition sees in one sweep: the pure step between the daemon's state and the alert lifecycle.
public enum AlertConditions {
    /// - Parameters:
    ///   - previous: the sweep before `current` (rates need two); `nil` for the first.
    ///   - verdicts: the detection engine's latest verdicts.
    ///   - serverWorkloads: group name to the workloads its servers run in.
    ///   - advice: the host-RAM recommendation, if any.
    public static func candidates(rules: [AlertRule], previous: Sweep?, current: Sweep, verdicts: [GroupVerdict],
                                  serverWorkloads: [String: [String]], advice: HostMemoryRecommendation?,
                                  pageSizeBytes: Double) -> [AlertCandidate] {
        var out: [AlertCandidate] = []
        let elapsed = previous.map { current.elapsedSeconds(since: $0) } ?? 0
        let host = previous.flatMap { elapsed > 0 ? SignalModel.host(previous: $0.host, current: current.host, elapsedSeconds: elapsed,
                                                                          pageSizeBytes: pageSizeBytes) : nil }
        for rule in rules {
            switch rule.condition {
            case .imbalance, .slowdown:
                let kind: Finding.Kind = rule.condition == .imbalance ? .imbalance : .slowdown
                for finding in verdicts.flatMap(\.findings) where finding.kind == kind {
                    let top = finding.causes.first
                    let signal = top.flatMap { CauseSignal(rawValue: $0.signal) }
                    out.append(AlertCandidate(
                        rule: rule.name, labels: ["group": finding.group, "server": finding.server ?? "", "kind": kind.rawValue],
                        fixedLabels: ["cause": top?.signal ?? "unknown"],
                        value: finding.ratio.isFinite ? finding.ratio : 1e9,
                        evidence: ["ratio": Self.two(finding.ratio), "cause": top?.signal ?? "unknown",
                                   "cause_summary": top?.summary ?? "no memory signal named",
                                   "before": top?.beforeValue.map { signal?.format($0) ?? "\($0)" } ?? "unknown",
                                   "during": top.map { signal?.format($0.duringValue) ?? "\($0.duringValue)" } ?? "unknown",
                                   "target": finding.server.map { "server \($0)" } ?? "the group",
                                   "since": "\(Int64(finding.sinceSeconds))"]))
                }
            case .hostSwapIn:
                guard let rate = host?.swapInBytesPerSecond, let total = current.host.meminfoBytes["MemTotal"], total > 0 else { continue }
                out.append(AlertCandidate(rule: rule.name, labels: [:], value: rate * 60 / Double(total),
                                          evidence: ["rate": CauseSignal.bytes(rate) + "/s"]))
            case .hostMemoryPressure:
                guard let psi = current.host.pressure[.memory] else { continue }
                let ratio = psi.some.avg10Percent / 100
                out.append(AlertCandidate(rule: rule.name, labels: [:], value: ratio, evidence: ["percent": Self.percent(ratio)]))
            case .serverMemoryPressure:
                let byName = Dictionary(current.workloads.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                for group in serverWorkloads.keys.sorted() {
                    for workload in Set(serverWorkloads[group]!).sorted() {
                        guard let psi = byName[workload]?.pressure else { continue }
                        let ratio = psi.some.avg10Percent / 100
                        out.append(AlertCandidate(rule: rule.name, labels: ["group": group, "workload": workload], value: ratio,
                                                  evidence: ["percent": Self.percent(ratio)]))
                    }
                }
            case .balloonShrinkWhileGuestSwaps:
                guard let previous, elapsed > 0 else { continue }
                let before = Dictionary(previous.vms.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                for vm in current.vms where vm.up {
                    guard let inflated = vm.balloonInflatedBytes, inflated > 0, let now = vm.guestStats, let then = before[vm.name]?.guestStats
                    else { continue }
                    var swap = 0.0
                    if let a = now.swapInBytes, let b = then.swapInBytes, a >= b { swap += Double(a - b) }
                    if let a = now.swapOutBytes, let b = then.swapOutBytes, a >= b { swap += Double(a - b) }
                    let rate = swap / elapsed
                    out.append(AlertCandidate(rule: rule.name, labels: ["vm": vm.name, "workload": current.workload(ofVM: vm.name)],
                                              value: rate, evidence: ["rate": CauseSignal.bytes(rate) + "/s",
                                                                      "ballooned": CauseSignal.bytes(Double(inflated))]))
                }
            case .hostMemoryBelowRecommended:
                // An estimate with too little history behind it is shown, never alerted on.
                guard let advice, advice.confidence.enough else { continue }
                out.append(AlertCandidate(rule: rule.name, labels: [:], value: Double(advice.shortfallBytes),
                                          evidence: ["installed": CauseSignal.bytes(Double(advice.installedBytes)),
                                                     "recommended": CauseSignal.bytes(Double(advice.minimumBytes)),
                                                     "demand": CauseSignal.bytes(Double(advice.demandBytes)),
                                                     "peak": CauseSignal.bytes(Double(advice.peak.demandBytes)),
                                                     "shortfall": CauseSignal.bytes(Double(advice.shortfallBytes)),
                                                     "reasons": advice.reasons.joined(separator: " ")]))
            }
        }
        return out
    }

    static func two(_ value: Double) -> String {
        DecimalText.fixed(value, places: 2) ?? "+Inf"
    }

    static func percent(_ ratio: Double) -> String { CauseSignal.oneDecimal(ratio * 100) + " %" }
}
