import Detectors
import Parsers

/// Reads `<procfs>/meminfo` into ``HostSample/meminfoBytes``.
final class MeminfoCollector: Collector {
    let name = "meminfo"
    private let path: String
    private let reader: CachedFileReader

    init(paths: CollectorPaths, reader: CachedFileReader) {
        self.path = paths.proc("meminfo")
        self.reader = reader
    }

    func collect(into snapshot: inout CollectedSweep, issues: inout [ParseIssue]) throws {
        let path = self.path
        let parsed = try self.reader.withContents(of: path) { MeminfoParser.parse($0, path: path) }
        issues += parsed.issues
        guard !parsed.values.isEmpty else { throw CollectorError.failed("\(path): no values") }
        snapshot.host.meminfoBytes = parsed.values
    }
}
