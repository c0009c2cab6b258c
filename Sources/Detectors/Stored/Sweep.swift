/// Everything one collection sweep read, exactly as read: the record that history stores and replay feeds back
/// through the detectors.
///
/// Raw samples only (cumulative counters stay cumulative; rates are derived in one pure step, ``SignalModel``).
/// What the daemon works out from them is not inside the samples: the VM-to-workload join sits beside them in
/// ``vmWorkloads`` (replay needs it, and the process list it came from is not kept), and collector health and the
/// process list stay in the daemon.
public struct Sweep: Sendable, Equatable, StoredRecord {
    public static let schemaVersion = 1

    /// Wall-clock time the sweep started, Unix seconds.
    public var atSeconds: Double
    /// Seconds since the host booted (`CLOCK_BOOTTIME`, which counts suspend too) when the sweep started; `nil` in
    /// records from before it was kept.
    ///
    /// The wall clock can be stepped (NTP, an operator's `date -s`); this clock cannot, so intervals between two
    /// sweeps of one boot come from it (``elapsedSeconds(since:)``) and times from ``atSeconds``.
    public var uptimeSeconds: Double?
    public var host: HostSample
    /// Workloads, sorted by (cgroup, kind, name): label order, so the exposition needs no sort.
    public var workloads: [WorkloadSample]
    /// VMs seen through QMP or libvirt, sorted by name.
    public var vms: [VMSample]
    /// VM name to the host workload it was joined to (its `type="vm"` workload, or the one whose cgroup holds its
    /// QEMU). VMs that joined nothing are absent.
    public var vmWorkloads: [String: String]
    /// The capacity cgroup (`--capacity.cgroup`) read like a workload: the emulated or partitioned host the advice
    /// sizes instead of the whole machine. `nil` when none is set or it could not be read.
    public var capacity: WorkloadSample?

    public init(atSeconds: Double = 0, uptimeSeconds: Double? = nil, host: HostSample = HostSample(),
                workloads: [WorkloadSample] = [], vms: [VMSample] = [], vmWorkloads: [String: String] = [:],
                capacity: WorkloadSample? = nil) {
        self.atSeconds = atSeconds
        self.uptimeSeconds = uptimeSeconds
        self.host = host
        self.workloads = workloads
        self.vms = vms
        self.vmWorkloads = vmWorkloads
        self.capacity = capacity
    }

    /// Seconds from `previous` to this sweep: by the boot clock when both have it and it advanced (the same boot),
    /// else by the wall clock. Rates divide by this, so a stepped wall clock gives neither negative nor diluted rates.
    public func elapsedSeconds(since previous: Sweep) -> Double {
        if let now = self.uptimeSeconds, let then = previous.uptimeSeconds, now > then { return now - then }
        return self.atSeconds - previous.atSeconds
    }

    /// The workload a VM's balloon and guest signals belong to: the joined one, else the VM's own name.
    public func workload(ofVM name: String) -> String {
        self.vmWorkloads[name] ?? name
    }

    private enum CodingKeys: String, CodingKey {
        case atSeconds, uptimeSeconds, host, workloads, vms, vmWorkloads, capacity
    }

    public init(from decoder: any Decoder) throws {
        _ = try Self.decodeSchemaVersion(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.atSeconds = try c.decode(Double.self, forKey: .atSeconds)
        self.uptimeSeconds = try c.decodeIfPresent(Double.self, forKey: .uptimeSeconds)
        self.host = try c.decodeIfPresent(HostSample.self, forKey: .host) ?? HostSample()
        self.workloads = try c.decodeIfPresent([WorkloadSample].self, forKey: .workloads) ?? []
        self.vms = try c.decodeIfPresent([VMSample].self, forKey: .vms) ?? []
        self.vmWorkloads = try c.decodeIfPresent([String: String].self, forKey: .vmWorkloads) ?? [:]
        self.capacity = try c.decodeIfPresent(WorkloadSample.self, forKey: .capacity)
    }

    public func encode(to encoder: any Encoder) throws {
        try Self.encodeSchemaVersion(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.atSeconds, forKey: .atSeconds)
        try c.encodeIfPresent(self.uptimeSeconds, forKey: .uptimeSeconds)
        try c.encode(self.host, forKey: .host)
        try c.encode(self.workloads, forKey: .workloads)
        try c.encode(self.vms, forKey: .vms)
        try c.encode(self.vmWorkloads, forKey: .vmWorkloads)
        try c.encodeIfPresent(self.capacity, forKey: .capacity)
    }
}
