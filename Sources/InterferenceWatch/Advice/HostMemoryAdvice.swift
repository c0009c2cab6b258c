import Detectors
import Synchronization

/// Feeds each published sweep to a ``MinimumHostMemoryAdvisor``; the exposition serves its recommendation as
/// metrics and JSON (`GET /api/v1/advice`).
///
/// Its ``MinimumHostMemoryAdvisor/State`` is kept in history (``HistoryService``) and handed back at start, so the
/// advice survives a restart; `observed_seconds` says how much time it rests on.
final class HostMemoryAdvice: Sendable {
    private let advisor: Mutex<MinimumHostMemoryAdvisor>

    /// - Parameter state: what an earlier run learned (from history), so the advice does not start from zero.
    init(settings: MinimumHostMemoryAdvisor.Settings = .init(), state: MinimumHostMemoryAdvisor.State = .init()) {
        self.advisor = Mutex(MinimumHostMemoryAdvisor(settings: settings, state: state))
    }

    /// The advisor's learned history, to store.
    var state: MinimumHostMemoryAdvisor.State { self.advisor.withLock { $0.state } }

    /// Records the sweep's demand; a host without `MemAvailable` gives no advice.
    func record(_ sweep: Sweep) {
        guard let demand = HostMemoryDemand(host: sweep.host, vms: sweep.vms) else { return }
        self.advisor.withLock { $0.record(demand, atSeconds: sweep.atSeconds) }
    }

    func recommendation() -> HostMemoryRecommendation? {
        self.advisor.withLock { $0.recommendation() }
    }
}
