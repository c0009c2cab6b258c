import Foundation
import Logging
import ServiceLifecycle

/// Closes a detection window every `window`.
struct DetectionService: Service {
    let engine: DetectionEngine
    let window: Duration
    let logger: Logger

    func run() async throws {
        let clock = ContinuousClock()
        // The first call only marks the start of the first window.
        self.engine.evaluate(nowSeconds: Date().timeIntervalSince1970)
        var next = clock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            next = next.advanced(by: self.window)
            let deadline = next
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(until: deadline, clock: clock) }
            } catch {
                break
            }
            self.engine.evaluate(nowSeconds: Date().timeIntervalSince1970)
        }
    }
}
