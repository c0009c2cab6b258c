import Detectors
import Logging
import Parsers

/// Copies the latest QMP and libvirt samples into the snapshot and joins them to processes and workloads.
///
/// Runs last in the sweep: the join needs `snapshot.processes` (process collector) and `snapshot.workloads` (cgroup
/// and process collectors). It only reads what the VM pollers last published, so a slow or dead VM never delays a
/// sweep; the polling itself runs in ``VMServices``.
final class VMCollector: Collector {
    /// The `reason` values of `vm_monitor_errors_total`, the same for QMP and libvirt: `connect` (no socket, refused,
    /// virsh cannot start or reaches no libvirtd), `timeout` (no greeting or reply in time, virsh killed), `closed`
    /// (the monitor or libvirt connection dropped), `malformed` (a line that is not QMP, a reply of the wrong shape, unparsable
    /// virsh output), `command` (QEMU or virsh answered with an error).
    static let errorReasons = ["closed", "command", "connect", "malformed", "timeout"]

    let name = "vm"
    private let qmp: @Sendable () -> [VMJoin.Reading]
    private let libvirt: @Sendable () -> [VMJoin.Reading]
    private let takeVanished: @Sendable () -> UInt64
    private let logger: Logger
    /// Duplicate VM names already logged, so a persisting clash is logged once.
    private var loggedDuplicates: Set<String> = []

    /// - Parameters:
    ///   - qmp: the QMP readings, e.g. ``QMPFleet/readings()``.
    ///   - libvirt: the libvirt readings, e.g. ``LibvirtPoller/readings()``.
    ///   - takeVanished: VMs dropped since the last call because they went away (``QMPFleet/takeVanished()``).
    ///   - logger: VM name clashes are logged once at warning.
    init(qmp: @escaping @Sendable () -> [VMJoin.Reading], libvirt: @escaping @Sendable () -> [VMJoin.Reading],
         takeVanished: @escaping @Sendable () -> UInt64 = { 0 }, logger: Logger) {
        self.qmp = qmp
        self.libvirt = libvirt
        self.takeVanished = takeVanished
        self.logger = logger
    }

    convenience init(fleet: QMPFleet?, libvirt: LibvirtPoller?, logger: Logger) {
        self.init(qmp: { fleet?.readings() ?? [] }, libvirt: { libvirt?.readings() ?? [] },
                  takeVanished: { (fleet?.takeVanished() ?? 0) + (libvirt?.takeVanished() ?? 0) }, logger: logger)
    }

    func collect(into snapshot: inout CollectedSweep, issues: inout [ParseIssue]) throws {
        let qmp = self.qmp(), libvirt = self.libvirt()
        let outcome = VMJoin.join(qmp: qmp, libvirt: libvirt.map(\.sample), into: &snapshot)
        for duplicate in outcome.duplicateNames where self.loggedDuplicates.insert(duplicate.socketPath).inserted {
            self.logger.warning("VM name already used by another QMP socket, socket ignored",
                                metadata: ["vm.name": "\(duplicate.name)", "qmp.socket": "\(duplicate.socketPath)"])
        }
        // A VM seen over QMP and libvirt is one VM: its failed reads add up under its one name.
        let ignored = Set(outcome.duplicateNames.map(\.socketPath))
        var errors: [String: [String: UInt64]] = [:]
        for reading in qmp + libvirt where reading.socketPath.map({ !ignored.contains($0) }) ?? true {
            errors[reading.sample.name, default: [:]].merge(reading.errorCounts, uniquingKeysWith: +)
        }
        snapshot.vmErrorCounts = errors
        snapshot.vanished[self.name, default: 0] += self.takeVanished()
    }
}
