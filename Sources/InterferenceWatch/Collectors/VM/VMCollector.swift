import Detectors
import Logging
import Parsers

/// Copies the latest QMP and libvirt samples into the snapshot and joins them to processes and workloads.
///
/// Runs last in the sweep: the join needs `snapshot.processes` (process collector) and `snapshot.workloads` (cgroup
/// and process collectors). It only reads what the VM pollers last published, so a slow or dead VM never delays a
/// sweep; the polling itself runs in ``VMServices``.
final class VMCollector: Collector {
    let name = "vm"
    private let qmp: @Sendable () -> [VMJoin.Reading]
    private let libvirt: @Sendable () -> [VMSample]
    private let logger: Logger
    /// Duplicate VM names already logged, so a persisting clash is logged once.
    private var loggedDuplicates: Set<String> = []

    /// - Parameters:
    ///   - qmp: the QMP readings, e.g. ``QMPFleet/readings()``.
    ///   - libvirt: the libvirt samples, e.g. ``LibvirtPoller/samples()``.
    ///   - logger: VM name clashes are logged once at warning.
    init(qmp: @escaping @Sendable () -> [VMJoin.Reading], libvirt: @escaping @Sendable () -> [VMSample],
         logger: Logger) {
        self.qmp = qmp
        self.libvirt = libvirt
        self.logger = logger
    }

    convenience init(fleet: QMPFleet?, libvirt: LibvirtPoller?, logger: Logger) {
        self.init(qmp: { fleet?.readings() ?? [] }, libvirt: { libvirt?.samples() ?? [] }, logger: logger)
    }

    func collect(into snapshot: inout CollectedSweep, issues: inout [ParseIssue]) throws {
        let outcome = VMJoin.join(qmp: self.qmp(), libvirt: self.libvirt(), into: &snapshot)
        for duplicate in outcome.duplicateNames where self.loggedDuplicates.insert(duplicate.socketPath).inserted {
            self.logger.warning("VM name already used by another QMP socket, socket ignored",
                                metadata: ["vm.name": "\(duplicate.name)", "qmp.socket": "\(duplicate.socketPath)"])
        }
    }
}
