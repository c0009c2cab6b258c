import ServiceLifecycle

/// Feeds every published sweep to the host-RAM advice.
struct AdviceService: Service {
    let advice: HostMemoryAdvice
    let sweeps: AsyncStream<CollectedSweep>

    func run() async throws {
        for await sweep in self.sweeps.cancelOnGracefulShutdown() {
            self.advice.record(sweep.sweep)
        }
    }
}
