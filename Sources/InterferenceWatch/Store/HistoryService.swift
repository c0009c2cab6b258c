import Detectors
import Foundation
import Logging
import ServiceLifecycle

/// Feeds history: every published sweep, and the advisor's state once a minute, go to the ``HistoryWriter``
/// (latency samples and detection steps reach it from the recorder and the engine). On shutdown it writes what is
/// queued before returning.
struct HistoryService: Service {
    let writer: HistoryWriter
    let sweeps: AsyncStream<CollectedSweep>
    let advice: HostMemoryAdvice
    /// How often the advisor's state is saved (a restart loses at most this much of what it learned).
    var stateIntervalSeconds: Double = 60
    /// Removed once everything queued is written at shutdown, so the next start knows this run stopped cleanly.
    var marker: ShutdownMarker?
    var logger: Logger?

    static let adviceStateKey = "advice.state"
    static let baselinesKey = "detection.baselines"
    /// Each calibration under its own key, `calibration.<start, Unix seconds>`.
    static let calibrationKeyPrefix = "calibration."

    /// Stores a calibration and, at once, the advisor state that now includes it.
    static func store(_ result: CalibrationResult, advice: HostMemoryAdvice, writer: HistoryWriter) {
        if let data = try? StoredJSON.encoder.encode(result) {
            writer.enqueue(.state(key: Self.calibrationKeyPrefix + String(Int64(result.startedAtSeconds)), value: data,
                                  atSeconds: result.endedAtSeconds))
        }
        if let data = try? StoredJSON.encoder.encode(advice.state) {
            writer.enqueue(.state(key: Self.adviceStateKey, value: data, atSeconds: result.endedAtSeconds))
        }
    }

    func run() async throws {
        self.writer.start()
        var lastState = 0.0
        for await sweep in self.sweeps.cancelOnGracefulShutdown() {
            self.writer.enqueue(.sweep(sweep.sweep))
            if sweep.atSeconds - lastState >= self.stateIntervalSeconds || sweep.atSeconds < lastState {
                lastState = sweep.atSeconds
                self.saveAdvice(atSeconds: sweep.atSeconds)
            }
        }
        self.saveAdvice(atSeconds: Date().timeIntervalSince1970)
        let drained = self.writer.stop()
        guard let marker = self.marker else { return }
        var problem: String? = drained ? nil : "items still queued"
        if drained {
            do { try marker.markStopped() } catch { problem = "\(error)" }
        }
        if let problem {
            // The marker stays: the next start reports this stop as unclean, which it was as far as history goes.
            self.logger?.error("history not fully written at shutdown; the next start will report an unclean stop",
                               metadata: ["file.path": "\(self.writer.database.path)", "error": "\(problem)"])
        }
    }

    private func saveAdvice(atSeconds: Double) {
        guard let data = try? StoredJSON.encoder.encode(self.advice.state) else { return }
        self.writer.enqueue(.state(key: Self.adviceStateKey, value: data, atSeconds: atSeconds))
    }
}
