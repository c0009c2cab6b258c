import Detectors
import Parsers

/// Finds workloads in the cgroup tree and reads their memory signals.
///
/// The layout is detected on every sweep (two `stat` calls) so a collector started before the runtime still
/// finds it. Cgroups named in the config file are read by path, whatever their name looks like.
final class CgroupCollector: Collector {
    let name = "cgroup"
    private let root: String
    private let namedCgroups: [(path: String, name: String)]
    private let reader: CachedFileReader
    private let capacityCgroup: String?

    /// - Parameters:
    ///   - namedCgroups: cgroup paths from the config file (relative to the hierarchy root) and their names.
    ///   - capacityCgroup: the cgroup the RAM advice sizes (`--capacity.cgroup`), read into ``Sweep/capacity``.
    init(paths: CollectorPaths, namedCgroups: [(path: String, name: String)], reader: CachedFileReader, capacityCgroup: String? = nil) {
        self.root = paths.cgroupfs
        self.namedCgroups = namedCgroups.map { (CgroupPath.normalise($0.path), $0.name) }
        self.reader = reader
        self.capacityCgroup = capacityCgroup.map(CgroupPath.normalise)
    }

    func collect(into snapshot: inout CollectedSweep, issues: inout [ParseIssue]) throws {
        guard let layout = CgroupLayout.detect(root: self.root) else {
            throw CollectorError.noData("no cgroup memory hierarchy under \(self.root)")
        }
        snapshot.cgroupLayout = layout
        let memory = CgroupMemoryReader(layout: layout, reader: self.reader)
        let named = Set(self.namedCgroups.map(\.path))
        // As many as last sweep: the array is allocated once instead of doubling (and copying) up to a thousand.
        snapshot.workloads.reserveCapacity(snapshot.workloads.count + self.namedCgroups.count + self.reader.directoriesLastSweep)
        for (path, name) in self.namedCgroups {
            if let sample = memory.read(path: path, classification: .init(name: name, kind: .cgroup), issues: &issues) {
                snapshot.workloads.append(sample)
            }
        }
        // A container that exits between the walk and the read of its files is normal churn, not an error: it is
        // counted (collector_vanished_total) and not logged, so a host starting hundreds of containers a second
        // does not fill the log. A cgroup named in the config is read by path and never counts as vanished.
        var vanished: UInt64 = 0
        for found in CgroupDiscovery.walk(root: layout.walkRoot) where named.isEmpty || !named.contains(found.path) {
            if let sample = memory.read(path: found.path, classification: found.classification, issues: &issues) {
                snapshot.workloads.append(sample)
            } else {
                vanished += 1
            }
        }
        snapshot.vanished[self.name, default: 0] += vanished
        if let capacity = self.capacityCgroup {
            // Missing, it is an issue of its own (named), and the advice for it waits; the workloads are unaffected.
            snapshot.sweep.capacity = memory.read(path: capacity, classification: .init(name: "capacity", kind: .cgroup), issues: &issues)
        }
    }
}
