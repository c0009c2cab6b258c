import Detectors

/// Somewhere alerts go: Alertmanager, a webhook, the log. A sink never blocks the evaluation that hands it the
/// transitions: it queues and sends on its own task.
protocol AlertSink: Sendable {
    var name: String { get }
    /// Called after every evaluation that changed an alert's state.
    func notify(_ transitions: [AlertLifecycle.Transition])
    /// Called after every evaluation with what is reported now (firing, and resolved in the last 15 minutes), for
    /// sinks that re-send the whole state.
    func update(_ reported: [Alert])
}

extension AlertSink {
    func update(_ reported: [Alert]) {}
}
