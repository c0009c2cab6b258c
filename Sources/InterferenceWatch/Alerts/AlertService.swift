import Detectors
import ServiceLifecycle

/// Evaluates the alert rules on every published sweep, with the detection engine's latest verdicts and the advice.
struct AlertService: Service {
    let engine: AlertEngine
    let detection: DetectionEngine
    let advice: HostMemoryAdvice
    let sweeps: AsyncStream<CollectedSweep>

    func run() async throws {
        for await sweep in self.sweeps.cancelOnGracefulShutdown() {
            self.engine.evaluate(sweep.sweep, verdicts: self.detection.verdicts, advice: self.advice.recommendation())
        }
    }
}
