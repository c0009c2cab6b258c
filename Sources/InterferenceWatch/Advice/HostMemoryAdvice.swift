import Detectors
import Synchronization

/// Feeds each published sweep to a ``MinimumHostMemoryAdvisor``; the exposition serves its recommendation as
/// metrics and JSON (`GET /api/v1/advice`).
///
/// History is in memory only: after a restart the peak is re-learned, and `observed_seconds` says how much time the
/// current advice rests on. The advisor's ``MinimumHostMemoryAdvisor/State`` is `Codable`, for the history store.
final class HostMemoryAdvice: Sendable {
    private let advisor: Mutex<MinimumHostMemoryAdvisor>

    init(settings: MinimumHostMemoryAdvisor.Settings = .init()) {
        self.advisor = Mutex(MinimumHostMemoryAdvisor(settings: settings))
    }

    /// Records the sweep's demand; a host without `MemAvailable` gives no advice.
    func record(_ sweep: Sweep) {
        guard let demand = HostMemoryDemand(host: sweep.host, vms: sweep.vms) else { return }
        self.advisor.withLock { $0.record(demand, atSeconds: sweep.atSeconds) }
    }

    func recommendation() -> HostMemoryRecommendation? {
        self.advisor.withLock { $0.recommendation() }
    }
}
