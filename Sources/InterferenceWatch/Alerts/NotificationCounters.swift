import Synchronization

/// `interferencewatch_alert_notifications_total{sink,result}`: every notification sent, failed or dropped.
final class NotificationCounters: Sendable {
    enum Result: String, Sendable, CaseIterable { case sent, failed, dropped }

    private let counts = Mutex<[String: [Result: UInt64]]>([:])

    func declare(_ sink: String) {
        self.counts.withLock { counts in for result in Result.allCases { counts[sink, default: [:]][result, default: 0] += 0 } }
    }

    func count(_ sink: String, _ result: Result, _ n: UInt64 = 1) {
        self.counts.withLock { $0[sink, default: [:]][result, default: 0] += n }
    }

    var all: [(sink: String, result: String, count: UInt64)] {
        self.counts.withLock { counts in
            counts.keys.sorted().flatMap { sink in
                Result.allCases.map { (sink, $0.rawValue, counts[sink]?[$0] ?? 0) }
            }
        }
    }

    func value(_ sink: String, _ result: Result) -> UInt64 { self.counts.withLock { $0[sink]?[result] ?? 0 } }
}
