import Synchronization
import Parsers

/// Counts the QMP events of one VM, fed from the event loop and read by the poller.
///
/// Events arrive on an event-loop thread at any moment, interleaved with replies, so the counts sit behind a lock.
/// Counts are cumulative for the life of the daemon: they survive reconnections (a restarted QEMU does not reset
/// them), so they behave as Prometheus counters.
final class QMPEventTally: Sendable {
    /// What has been seen so far.
    struct CollectedSweep: Sendable, Equatable {
        var counts: [String: UInt64] = [:]
        var balloonChanges: UInt64 = 0
        /// QEMU's timestamp of the latest `BALLOON_CHANGE`, Unix seconds.
        var lastBalloonChangeSeconds: Double?
        /// `data.actual` of the latest `BALLOON_CHANGE`, bytes.
        var lastBalloonChangeActualBytes: UInt64?
    }

    private let state = Mutex(CollectedSweep())

    init() {}

    /// Records one event.
    func record(_ event: QMPEvent) {
        self.state.withLock { state in
            state.counts[event.name, default: 0] += 1
            if event.name == "BALLOON_CHANGE" {
                state.balloonChanges += 1
                state.lastBalloonChangeSeconds = event.timestampSeconds
                state.lastBalloonChangeActualBytes = event.data?["actual"]?.uint64
            }
        }
    }

    var snapshot: CollectedSweep { self.state.withLock { $0 } }
}
