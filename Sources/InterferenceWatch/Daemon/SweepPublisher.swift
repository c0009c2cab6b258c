import Logging
import Synchronization

/// The one path a finished sweep takes to everything that uses it.
///
/// Each sweep is set as the latest (what `/metrics` renders) and handed once to every subscriber (detection, advice,
/// and later history and alerts) through the subscriber's own bounded stream, so a slow consumer never delays the
/// sweep or another consumer: when its buffer is full the oldest unread sweep is dropped for that consumer alone,
/// counted, and logged once until it catches up.
final class SweepPublisher: Sendable {
    private struct Subscriber {
        var name: String
        var continuation: AsyncStream<CollectedSweep>.Continuation
        var droppedTotal: UInt64 = 0
        var dropping = false
    }

    /// The latest published sweep.
    let latest = LatestSweep()
    private let subscribers = Mutex<[Subscriber]>([])
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// A stream of every sweep published from now on; it ends when ``finish()`` is called.
    ///
    /// - Parameters:
    ///   - name: the consumer's name in logs and in `interferencewatch_sweep_consumer_dropped_total{consumer}`.
    ///   - bufferSize: sweeps kept for a consumer that has not read them yet.
    func subscribe(_ name: String, bufferSize: Int = 8) -> AsyncStream<CollectedSweep> {
        let (stream, continuation) = AsyncStream<CollectedSweep>.makeStream(bufferingPolicy: .bufferingNewest(max(1, bufferSize)))
        self.subscribers.withLock { $0.append(Subscriber(name: name, continuation: continuation)) }
        return stream
    }

    func publish(_ sweep: CollectedSweep) {
        self.latest.set(sweep)
        let started = self.subscribers.withLock { subscribers -> [String] in
            var started: [String] = []
            for index in subscribers.indices {
                switch subscribers[index].continuation.yield(sweep) {
                case .dropped:
                    subscribers[index].droppedTotal += 1
                    if !subscribers[index].dropping { started.append(subscribers[index].name) }
                    subscribers[index].dropping = true
                default:
                    subscribers[index].dropping = false
                }
            }
            return started
        }
        for name in started {
            self.logger.warning("sweep consumer is behind, dropping its oldest unread sweeps", metadata: ["consumer.name": "\(name)"])
        }
    }

    /// Ends every subscriber's stream (after the last sweep).
    func finish() {
        self.subscribers.withLock { subscribers in
            for subscriber in subscribers { subscriber.continuation.finish() }
        }
    }

    /// Sweeps dropped per consumer since start, by consumer name.
    var droppedTotals: [(consumer: String, count: UInt64)] {
        self.subscribers.withLock { $0.map { ($0.name, $0.droppedTotal) } }
    }
}
