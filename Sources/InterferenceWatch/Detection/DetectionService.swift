import Foundation
import Logging
import ServiceLifecycle

/// Closes a detection window every `window`.
struct DetectionService: Service {
    let engine: DetectionEngine
    let window: Duration
    let logger: Logger

    func run() async throws {
        // The first call only marks the start of the first window.
        self.engine.evaluate(nowSeconds: Date().timeIntervalSince1970)
        var ticker = PeriodicTicker(clock: ContinuousClock(), interval: self.window)
        ticker.startTick()
        while await ticker.sleepUntilDue() {
            ticker.startTick()
            self.engine.evaluate(nowSeconds: Date().timeIntervalSince1970)
        }
    }
}
