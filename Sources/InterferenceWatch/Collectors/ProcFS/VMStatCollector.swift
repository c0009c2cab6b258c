import Detectors
import Parsers

/// Reads `<procfs>/vmstat` into ``HostSample/vmstat``; every key the kernel has is kept.
final class VMStatCollector: Collector {
    let name = "vmstat"
    private let path: String
    private let reader: CachedFileReader

    init(paths: CollectorPaths, reader: CachedFileReader) {
        self.path = paths.proc("vmstat")
        self.reader = reader
    }

    func collect(into snapshot: inout CollectedSweep, issues: inout [ParseIssue]) throws {
        let path = self.path
        let parsed = try self.reader.withContents(of: path) { KeyValueParser.parse($0, path: path, knownKeys: ProcKeys.vmstat) }
        issues += parsed.issues
        guard !parsed.values.isEmpty else { throw CollectorError.failed("\(path): no values") }
        snapshot.host.vmstat = parsed.values
    }
}
