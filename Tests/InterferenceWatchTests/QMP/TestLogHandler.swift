import Detectors
@testable import Parsers
import Logging
import Synchronization

/// Collects log records in memory so tests can assert on them (never `LoggingSystem.bootstrap` in tests).
final class TestLogHandlerStore: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { self.records.withLock { $0 } }

    func append(_ record: Record) { self.records.withLock { $0.append(record) } }

    /// A logger writing into this store at `level` and above.
    func logger(label: String = "test", level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: label) { _ in TestLogHandler(store: self) }
        logger.logLevel = level
        return logger
    }
}

/// The `LogHandler` behind ``TestLogHandlerStore``.
struct TestLogHandler: LogHandler {
    let store: TestLogHandlerStore
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        self.store.append(.init(level: event.level, message: "\(event.message)", metadata: merged))
    }
}
