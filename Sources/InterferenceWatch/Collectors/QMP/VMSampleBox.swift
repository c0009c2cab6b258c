import Detectors
import Synchronization

/// The latest ``VMSample`` of one VM, written by its poller and read by scrapes.
///
/// A scrape only copies the value out under a lock; it never waits for a poll in progress, so a slow or dead VM
/// cannot delay the exposition or another VM.
final class VMSampleBox: Sendable {
    private let value: Mutex<VMSample>

    init(_ initial: VMSample) {
        self.value = Mutex(initial)
    }

    /// The most recently published sample.
    var latest: VMSample { self.value.withLock { $0 } }

    func publish(_ sample: VMSample) {
        self.value.withLock { $0 = sample }
    }
}
