import Detectors

/// What one collection sweep produced: the stored ``Sweep`` (the samples exactly as read, and the VM join) plus what
/// only the live daemon needs: how each collector fared, the process list the joins used, the cgroup layout.
///
/// Immutable once published; `/metrics` renders the latest one at scrape time. Rendering from a finished sweep
/// (instead of updating long-lived gauges) means a workload that disappears simply stops appearing, with no
/// unregister bookkeeping.
///
/// The forwarding properties yield the stored value in place (`_modify`): with only `get`/`set`, every
/// `snapshot.workloads.append(...)` or `.sort` copied the whole array of 1000 samples first.
struct CollectedSweep: Sendable, Equatable {
    /// The record history stores and replay reads.
    var sweep = Sweep()
    /// One entry per enabled collector, in collector order.
    var collectors: [CollectorStatus] = []
    /// Processes seen by the process collector (not exported one by one; used to join workloads and VMs).
    var processes: [ProcessSample] = []
    /// The cgroup layout detected on the last sweep.
    var cgroupLayout: CgroupLayout?
    /// Per collector name, what disappeared while the collector followed it during this sweep (a cgroup removed
    /// between the walk and the read, a VM whose socket or domain went away); ``SweepRunner`` keeps the totals.
    /// A collector that can see things vanish sets its entry (0 included) on every sweep.
    var vanished: [String: UInt64] = [:]
    /// Per VM name (``vms``), failed reads since the daemon started watching it, by reason
    /// (``VMCollector/errorReasons``). Live only, like the collector statuses; not stored.
    var vmErrorCounts: [String: [String: UInt64]] = [:]

    /// Wall-clock time the sweep started, Unix seconds (``Sweep/atSeconds``).
    var atSeconds: Double {
        get { self.sweep.atSeconds }
        set { self.sweep.atSeconds = newValue }
    }

    /// ``Sweep/host``.
    var host: HostSample {
        get { self.sweep.host }
        set { self.sweep.host = newValue }
        _modify { yield &self.sweep.host }
    }

    /// ``Sweep/workloads``: label order (cgroup, type, workload) once the sweep ends.
    var workloads: [WorkloadSample] {
        get { self.sweep.workloads }
        set { self.sweep.workloads = newValue }
        _modify { yield &self.sweep.workloads }
    }

    /// ``Sweep/vms``, sorted by name.
    var vms: [VMSample] {
        get { self.sweep.vms }
        set { self.sweep.vms = newValue }
        _modify { yield &self.sweep.vms }
    }
}
