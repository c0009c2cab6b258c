import Testing

@testable import Detectors

/// The alert state machine under a test clock: evaluations carry their own time, so nothing here waits.
struct AlertLifecycleTests {
    static let swap = AlertRule(name: "Swap", condition: .hostSwapIn, threshold: 0.002, clearThreshold: 0.001, forSeconds: 120,
                                keepFiringForSeconds: 60, severity: "warning", labels: ["team": "infra"],
                                summary: "swap-in {{rate}} ({{value}})", description: "on {{team}}")

    static func candidate(_ value: Double) -> AlertCandidate {
        AlertCandidate(rule: "Swap", labels: [:], value: value, evidence: ["rate": "5 MiB/s"])
    }

    @Test func pendingThenFiringAfterForWithItsAnnotations() {
        var lifecycle = AlertLifecycle()
        let first = lifecycle.evaluate(nowSeconds: 0, rules: [Self.swap], candidates: [Self.candidate(0.01)])
        #expect(first.map(\.to) == [.pending])
        #expect(lifecycle.evaluate(nowSeconds: 60, rules: [Self.swap], candidates: [Self.candidate(0.01)]).isEmpty)
        let fired = lifecycle.evaluate(nowSeconds: 120, rules: [Self.swap], candidates: [Self.candidate(0.02)])
        #expect(fired.map(\.to) == [.firing])
        let alert = fired[0].alert
        #expect(alert.labels == ["alertname": "Swap", "severity": "warning", "team": "infra"])
        #expect(alert.annotations == ["summary": "swap-in 5 MiB/s (0.02)", "description": "on infra"])
        #expect(alert.activeSinceSeconds == 0 && alert.firedAtSeconds == 120)
    }

    @Test func aValueHoveringAtTheThresholdDoesNotFlap() {
        var lifecycle = AlertLifecycle()
        var transitions: [AlertLifecycle.Transition] = []
        // Above, then hovering between clear (0.001) and threshold (0.002) for ten minutes.
        for (index, value) in ([0.003, 0.003, 0.003] + Array(repeating: 0.0015, count: 20) + [0.0021, 0.0019, 0.0021]).enumerated() {
            transitions += lifecycle.evaluate(nowSeconds: Double(index) * 60, rules: [Self.swap], candidates: [Self.candidate(value)])
        }
        #expect(transitions.map(\.to) == [.pending, .firing], "\(transitions.map(\.to))")
        // Below clear: kept firing for keep_firing_for (60 s after it last held, at 25 min), then resolved, once.
        let last = 25.0 * 60
        #expect(lifecycle.evaluate(nowSeconds: last + 30, rules: [Self.swap], candidates: [Self.candidate(0.0005)]).isEmpty)
        #expect(lifecycle.evaluate(nowSeconds: last + 50, rules: [Self.swap], candidates: [Self.candidate(0.0005)]).isEmpty)
        let resolved = lifecycle.evaluate(nowSeconds: last + 70, rules: [Self.swap], candidates: [Self.candidate(0.0005)])
        #expect(resolved.map(\.to) == [.resolved])
        #expect(lifecycle.evaluate(nowSeconds: last + 130, rules: [Self.swap], candidates: [Self.candidate(0.0005)]).isEmpty)
    }

    @Test func aPendingAlertThatClearsNeverFires() {
        var lifecycle = AlertLifecycle()
        _ = lifecycle.evaluate(nowSeconds: 0, rules: [Self.swap], candidates: [Self.candidate(0.01)])
        let cleared = lifecycle.evaluate(nowSeconds: 60, rules: [Self.swap], candidates: [Self.candidate(0)])
        #expect(cleared.map { "\($0.from.rawValue)->\($0.to.rawValue)" } == ["pending->inactive"])
        #expect(lifecycle.reported.isEmpty)
    }

    @Test func resolvedAlertsAreReportedForFifteenMinutes() {
        var lifecycle = AlertLifecycle()
        let rule = AlertRule(name: "Swap", condition: .hostSwapIn, threshold: 0.002, summary: "s")
        _ = lifecycle.evaluate(nowSeconds: 0, rules: [rule], candidates: [Self.candidate(0.01)])
        _ = lifecycle.evaluate(nowSeconds: 10, rules: [rule], candidates: [])
        #expect(lifecycle.reported.map(\.state) == [.resolved])
        _ = lifecycle.evaluate(nowSeconds: 10 + 899, rules: [rule], candidates: [])
        #expect(lifecycle.reported.count == 1)
        _ = lifecycle.evaluate(nowSeconds: 10 + 901, rules: [rule], candidates: [])
        #expect(lifecycle.reported.isEmpty)
    }

    /// A finding's alert is one alert for the whole episode: its top cause is fixed when it fires, so a cause that
    /// changes later does not make Alertmanager see a second alert; a new episode after resolving is a new alert.
    @Test func oneAlertPerEpisode() {
        let rule = AlertRule(name: "Imbalance", condition: .imbalance, threshold: 0, summary: "{{server}} {{ratio}}x, {{cause}}")
        func finding(_ cause: String, _ ratio: Double) -> AlertCandidate {
            AlertCandidate(rule: "Imbalance", labels: ["group": "lab", "server": "s2", "kind": "imbalance"], fixedLabels: ["cause": cause],
                           value: ratio, evidence: ["ratio": "\(ratio)", "cause": cause])
        }
        var lifecycle = AlertLifecycle()
        var all: [AlertLifecycle.Transition] = []
        all += lifecycle.evaluate(nowSeconds: 0, rules: [rule], candidates: [finding("workload_swap", 1.8)])
        all += lifecycle.evaluate(nowSeconds: 30, rules: [rule], candidates: [finding("host_swap", 1.9)])
        all += lifecycle.evaluate(nowSeconds: 60, rules: [rule], candidates: [finding("host_swap", 2.0)])
        #expect(all.filter { $0.to == .firing }.count == 1)
        let firing = lifecycle.reported
        #expect(firing.count == 1 && firing[0].labels["cause"] == "workload_swap")
        #expect(firing[0].annotations["summary"] == "s2 2.0x, host_swap")  // annotations follow the evidence
        all += lifecycle.evaluate(nowSeconds: 90, rules: [rule], candidates: [])
        all += lifecycle.evaluate(nowSeconds: 120, rules: [rule], candidates: [finding("workload_swap", 1.7)])
        #expect(all.map(\.to) == [.pending, .firing, .resolved, .pending, .firing])
    }

    @Test func templatesFillKnownNamesAndLeaveUnknownOnesEmpty() {
        #expect(AlertTemplate.render("{{a}} and {{ b }} and {{c}}.", ["a": "1", "b": "2"]) == "1 and 2 and .")
        #expect(AlertTemplate.render("no {{close", [:]) == "no {{close")
        #expect(AlertTemplate.render("é{{x}}€", ["x": "ü"]) == "éü€")
    }

    @Test func conditionsNameTheirSubjectsAndValues() {
        var before = Sweep(atSeconds: 0, host: HostSample(meminfoBytes: ["MemTotal": 1 << 30], vmstat: ["pswpin": 0]))
        var after = Sweep(atSeconds: 60, host: HostSample(meminfoBytes: ["MemTotal": 1 << 30], vmstat: ["pswpin": 2560]))
        let vm = VMSample(name: "v", source: .qmp, up: true, configuredBytes: 1 << 30, balloonActualBytes: 768 << 20,
                          guestStats: .init(swapInBytes: 0, swapOutBytes: 0))
        before.vms = [vm]
        var swapping = vm
        swapping.guestStats = .init(swapInBytes: 60 << 20, swapOutBytes: 0)
        after.vms = [swapping]
        after.vmWorkloads = ["v": "w"]
        let candidates = AlertConditions.candidates(rules: AlertRule.defaults, previous: before, current: after, verdicts: [],
                                                    serverWorkloads: [:], advice: nil, pageSizeBytes: 4096)
        let swap = candidates.first { $0.rule == "InterferenceWatchHostSwapStorm" }
        // 2560 pages of 4 KiB in a minute is 10 MiB, about 1 % of 1 GiB.
        #expect(abs((swap?.value ?? 0) - 10.0 / 1024) < 1e-9)
        let balloon = candidates.first { $0.rule == "InterferenceWatchBalloonShrinkGuestSwap" }
        #expect(balloon?.labels == ["vm": "v", "workload": "w"] && balloon?.value == Double(1 << 20))
    }
}
