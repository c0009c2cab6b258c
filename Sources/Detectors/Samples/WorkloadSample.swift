/// One workload's memory signals exactly as read from its cgroup (or summed over its processes).
///
/// Every field is optional: a kernel, a cgroup version or a controller that lacks a file gives `nil`, never 0.
public struct WorkloadSample: Sendable, Equatable, Codable {
    /// The workload's name (`workload` label): a container's 12-hex id, a VM's domain name, a unit name, or the
    /// name given in the config file.
    public var name: String
    public var kind: WorkloadKind
    /// The cgroup path relative to the hierarchy root, starting with `/` (`cgroup` label); empty for process groups.
    public var cgroup: String
    /// Which cgroup version the memory numbers came from (1 or 2); 0 for process groups.
    public var cgroupVersion: Int

    /// v2 `memory.current`, v1 `memory.usage_in_bytes`, or summed RSS for a process group.
    public var usageBytes: UInt64?
    /// v2 `memory.max`, v1 `memory.limit_in_bytes`; `nil` when unlimited.
    public var limitBytes: UInt64?
    /// v2 `memory.high`; `nil` when unset (`max`).
    public var highBytes: UInt64?
    /// v2 `memory.swap.current`, v1 `memory.memsw.usage_in_bytes - memory.usage_in_bytes`, or summed VmSwap.
    public var swapBytes: UInt64?
    /// `memory.stat`, selected keys (v1 hierarchical `total_*` keys stored under the v2-style name).
    public var stat: MemoryStat
    /// `memory.pressure` (v2, or the unified hierarchy of a v1 hybrid host).
    public var pressure: PSIStats?
    /// v2 `memory.events` (`low`, `high`, `max`, `oom`, `oom_kill`); on v1 `oom_kill` from `memory.oom_control` and
    /// `max` from `memory.failcnt`.
    public var events: [String: UInt64]

    public init(name: String, kind: WorkloadKind, cgroup: String, cgroupVersion: Int,
                usageBytes: UInt64? = nil, limitBytes: UInt64? = nil, highBytes: UInt64? = nil,
                swapBytes: UInt64? = nil, stat: MemoryStat = [:], pressure: PSIStats? = nil,
                events: [String: UInt64] = [:]) {
        self.name = name
        self.kind = kind
        self.cgroup = cgroup
        self.cgroupVersion = cgroupVersion
        self.usageBytes = usageBytes
        self.limitBytes = limitBytes
        self.highBytes = highBytes
        self.swapBytes = swapBytes
        self.stat = stat
        self.pressure = pressure
        self.events = events
    }

    /// Usage minus inactive page cache (cAdvisor's working set): what the workload cannot easily give back; `nil`
    /// without both figures.
    public var workingSetBytes: UInt64? {
        guard let usage = self.usageBytes, let inactive = self.stat[.inactiveFile] else { return nil }
        return usage > inactive ? usage - inactive : 0
    }

    /// Major faults: `memory.stat` `pgmajfault`.
    public var majorFaults: UInt64? { self.stat[.pgmajfault] }
    /// Refaults of evicted pages, anon plus file (`workingset_refault_anon` + `_file`, or the pre-5.9 single key).
    public var refaults: UInt64? {
        let anon = self.stat[.workingsetRefaultAnon], file = self.stat[.workingsetRefaultFile]
        if anon != nil || file != nil { return (anon ?? 0) + (file ?? 0) }
        return self.stat[.workingsetRefault]
    }

    private enum CodingKeys: String, CodingKey {
        case name, kind, cgroup, cgroupVersion, usageBytes, limitBytes, highBytes, swapBytes, stat, pressure, events
    }

    /// Fields other than the identity default when absent, so older records still decode (see ``StoredRecord``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try c.decode(String.self, forKey: .name)
        self.kind = try c.decode(WorkloadKind.self, forKey: .kind)
        self.cgroup = try c.decodeIfPresent(String.self, forKey: .cgroup) ?? ""
        self.cgroupVersion = try c.decodeIfPresent(Int.self, forKey: .cgroupVersion) ?? 0
        self.usageBytes = try c.decodeIfPresent(UInt64.self, forKey: .usageBytes)
        self.limitBytes = try c.decodeIfPresent(UInt64.self, forKey: .limitBytes)
        self.highBytes = try c.decodeIfPresent(UInt64.self, forKey: .highBytes)
        self.swapBytes = try c.decodeIfPresent(UInt64.self, forKey: .swapBytes)
        self.stat = try c.decodeIfPresent(MemoryStat.self, forKey: .stat) ?? [:]
        self.pressure = try c.decodeIfPresent(PSIStats.self, forKey: .pressure)
        self.events = try c.decodeIfPresent([String: UInt64].self, forKey: .events) ?? [:]
    }
}
