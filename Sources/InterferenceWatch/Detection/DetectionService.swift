import Logging
import ServiceLifecycle

/// Feeds every published sweep to the host-RAM advice and the ``DetectionEngine``, then each window that sweep
/// closed to the advice: one consumer, so the advice's knee sees every window after the sweeps inside it.
struct DetectionService: Service {
    let engine: DetectionEngine
    let advice: HostMemoryAdvice?
    let sweeps: AsyncStream<CollectedSweep>
    let logger: Logger

    func run() async throws {
        for await sweep in self.sweeps.cancelOnGracefulShutdown() {
            self.advice?.record(sweep.sweep)
            if let step = self.engine.ingest(sweep.sweep) { self.advice?.recordWindow(step) }
        }
    }
}
