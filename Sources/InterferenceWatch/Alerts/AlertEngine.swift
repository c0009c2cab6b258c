import Detectors
import Logging
import Synchronization

/// The daemon's alerting: every sweep, each rule's condition is checked (``AlertConditions``) and the alerts move
/// through their lifecycle (``AlertLifecycle``); transitions go to every sink and to history.
final class AlertEngine: Sendable {
    private struct State {
        var lifecycle = AlertLifecycle()
        var rules: [AlertRule]
        var serverWorkloads: [String: [String]]
        var previous: Sweep?
    }

    private let state: Mutex<State>
    private let sinks: Mutex<[any AlertSink]>
    private let pageSizeBytes: Double
    private let onTransitions: @Sendable ([AlertLifecycle.Transition]) -> Void

    init(rules: [AlertRule], serverWorkloads: [String: [String]], pageSizeBytes: Double, sinks: [any AlertSink],
         onTransitions: @escaping @Sendable ([AlertLifecycle.Transition]) -> Void = { _ in }) {
        self.state = Mutex(State(rules: rules, serverWorkloads: serverWorkloads))
        self.sinks = Mutex(sinks)
        self.pageSizeBytes = pageSizeBytes
        self.onTransitions = onTransitions
    }

    /// Checks every rule against the sweep and the daemon's current verdicts and advice.
    @discardableResult
    func evaluate(_ sweep: Sweep, verdicts: [GroupVerdict], advice: HostMemoryRecommendation?) -> [AlertLifecycle.Transition] {
        let pageSize = self.pageSizeBytes
        let (transitions, reported) = self.state.withLock { state -> ([AlertLifecycle.Transition], [Alert]) in
            // The first sweep reaches the engine twice (at start-up and from the stream): once is enough.
            if let previous = state.previous, previous.atSeconds == sweep.atSeconds { return ([], state.lifecycle.reported) }
            let candidates = AlertConditions.candidates(rules: state.rules, previous: state.previous, current: sweep, verdicts: verdicts,
                                                        serverWorkloads: state.serverWorkloads, advice: advice, pageSizeBytes: pageSize)
            // A stepped wall clock moves the alerts' times with it, so pending and keep_firing_for keep their length.
            if let previous = state.previous, let step = ClockStep.between(previous, sweep) {
                state.lifecycle.shiftTimes(bySeconds: step.seconds)
            }
            // Rates need only the host and the VMs of the previous sweep; its workloads are not kept twice.
            state.previous = Sweep(atSeconds: sweep.atSeconds, uptimeSeconds: sweep.uptimeSeconds, host: sweep.host, vms: sweep.vms,
                                   vmWorkloads: sweep.vmWorkloads)
            let transitions = state.lifecycle.evaluate(nowSeconds: sweep.atSeconds, rules: state.rules, candidates: candidates)
            return (transitions, state.lifecycle.reported)
        }
        let sinks = self.sinks.withLock { $0 }
        for sink in sinks { sink.update(reported) }
        guard !transitions.isEmpty else { return [] }
        for sink in sinks { sink.notify(transitions) }
        self.onTransitions(transitions)
        return transitions
    }

    /// New rules and groups from a reloaded config; alerts of unchanged rules carry on.
    func reconfigure(rules: [AlertRule], serverWorkloads: [String: [String]], sinks: [any AlertSink]? = nil) {
        self.state.withLock {
            $0.rules = rules
            $0.serverWorkloads = serverWorkloads
        }
        if let sinks { self.sinks.withLock { $0 = sinks } }
    }

    /// Pending and firing alerts, then resolved ones still reported.
    var alerts: [Alert] {
        self.state.withLock { state in
            state.lifecycle.active.values.sorted { $0.identity < $1.identity } + state.lifecycle.resolved
        }
    }

    /// What Alertmanager is told: firing alerts and those resolved in the last 15 minutes.
    var reported: [Alert] { self.state.withLock { $0.lifecycle.reported } }

    var rules: [AlertRule] { self.state.withLock { $0.rules } }
}
