import Detectors
import Parsers

/// Reads `<procfs>/pressure/{memory,cpu,io}`.
///
/// Kernels before 4.20, or booted with `psi=0`, have no such files (or refuse reads with `EOPNOTSUPP`): that is a
/// normal host, so the collector then reports nothing and succeeds.
final class PressureCollector: Collector {
    let name = "pressure"
    private let paths: CollectorPaths
    private let reader: CachedFileReader

    init(paths: CollectorPaths, reader: CachedFileReader) {
        self.paths = paths
        self.reader = reader
    }

    func collect(into snapshot: inout CollectedSweep, issues: inout [ParseIssue]) throws {
        for resource in PSIResource.allCases {
            let path = self.paths.proc("pressure/" + resource.rawValue)
            do {
                let parsed = try self.reader.withContents(of: path) { PSIParser.parse($0, path: path) }
                issues += parsed.issues
                if let stats = parsed.stats { snapshot.host.pressure[resource] = stats }
            } catch FileReadError.missing {
                continue
            } catch FileReadError.failed(_, let code) where code == 95 /* EOPNOTSUPP: psi=0 */ {
                continue
            }
        }
    }
}
