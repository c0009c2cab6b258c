import Detectors

/// Everything one collection sweep saw; immutable once published, rendered at scrape time.
///
/// Rendering from a finished snapshot (instead of updating long-lived gauges) means a workload that disappears
/// simply stops appearing, with no unregister bookkeeping.
struct Snapshot: Sendable, Equatable {
    /// Wall-clock time the sweep started, seconds since the epoch.
    var timestampSeconds: Double = 0
    var host = HostSample()
    /// Workloads, sorted by (kind, name, cgroup) once the sweep ends.
    var workloads: [WorkloadSample] = []
    /// One entry per enabled collector, in collector order.
    var collectors: [CollectorStatus] = []
    /// Processes seen by the process collector (not exported one by one; used to join workloads and VMs).
    var processes: [ProcessSample] = []
    /// VMs seen through QMP or libvirt, joined to their QEMU process and host workload where possible.
    var vms: [VMSample] = []
    /// The cgroup layout detected on the last sweep.
    var cgroupLayout: CgroupLayout?
}

/// How one collector fared in a sweep.
struct CollectorStatus: Sendable, Equatable {
    var name: String
    var durationSeconds: Double
    /// False when the collector threw or any file it read was malformed.
    var success: Bool
    /// Errors since the daemon started (thrown errors plus malformed lines).
    var errorsTotal: UInt64
}
