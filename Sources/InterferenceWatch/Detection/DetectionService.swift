import Logging
import ServiceLifecycle

/// Feeds every published sweep to the ``DetectionEngine``; windows close on the sweeps that end them.
struct DetectionService: Service {
    let engine: DetectionEngine
    let sweeps: AsyncStream<CollectedSweep>
    let logger: Logger

    func run() async throws {
        for await sweep in self.sweeps.cancelOnGracefulShutdown() {
            self.engine.ingest(sweep.sweep)
        }
    }
}
