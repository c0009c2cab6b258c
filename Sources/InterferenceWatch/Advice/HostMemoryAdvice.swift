import Detectors
import Synchronization

/// The daemon's host-RAM advice: a ``MinimumHostMemoryAdvisor`` fed every sweep and every closed detection window
/// (by ``DetectionService``, in that order, so each window's knee evidence sees its own sweeps) and each calibration.
///
/// Its ``MinimumHostMemoryAdvisor/State`` is kept in history (``HistoryService``) and handed back at start, so the
/// advice survives a restart; `confidence` says how much history it rests on.
final class HostMemoryAdvice: Sendable {
    private struct Live {
        var advisor: MinimumHostMemoryAdvisor
        /// While a calibration raises pressure on purpose its allocator is not demand; until this time (Unix seconds).
        var pausedUntilSeconds: Double?
    }

    private let live: Mutex<Live>
    let settings: MinimumHostMemoryAdvisor.Settings

    /// - Parameter state: what an earlier run learned (from history), so the advice does not start from zero.
    init(settings: MinimumHostMemoryAdvisor.Settings = .init(), state: MinimumHostMemoryAdvisor.State = .init()) {
        self.settings = settings
        self.live = Mutex(Live(advisor: MinimumHostMemoryAdvisor(settings: settings, state: state)))
    }

    /// The advisor's learned history, to store.
    var state: MinimumHostMemoryAdvisor.State { self.live.withLock { $0.advisor.state } }

    func record(_ sweep: Sweep) {
        self.live.withLock { live in
            if let until = live.pausedUntilSeconds, sweep.atSeconds >= until { live.pausedUntilSeconds = nil }
            live.advisor.record(sweep, demandPaused: live.pausedUntilSeconds != nil)
        }
    }

    func recordWindow(_ step: SweepDetection.Step) {
        self.live.withLock { $0.advisor.recordWindow(step.verdicts, endSeconds: step.endSeconds) }
    }

    /// A calibration starts: its allocator's memory is left out of the demand until it reports or `untilSeconds`.
    func calibrationStarted(untilSeconds: Double) {
        self.live.withLock { $0.pausedUntilSeconds = untilSeconds }
    }

    func recordCalibration(_ result: CalibrationResult) {
        self.live.withLock { live in
            live.advisor.recordCalibration(result)
            live.pausedUntilSeconds = nil
        }
    }

    var calibrating: Bool { self.live.withLock { $0.pausedUntilSeconds != nil } }

    func recommendation() -> HostMemoryRecommendation? {
        self.live.withLock { $0.advisor.recommendation() }
    }
}
