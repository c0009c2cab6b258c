/// The memory figures the advice takes from one sweep, for the whole host or for one capacity cgroup.
///
/// Pure: the sweep in, the figures out. Swap read back needs the previous counter, so the counters are handed on
/// raw (``Entry/readBackCounterBytes``) and the advisor derives the amounts in its state.
struct SweepMemoryReading: Sendable, Equatable {
    struct VMShare: Sendable, Equatable {
        /// Guest RAM the VM counts with: its balloon floor when one is set, else its configured size.
        var guestFloorBytes: UInt64
        /// QEMU's resident memory beyond the guest's RAM now (`rss - balloon actual`), 0 when unknown.
        var overheadBytes: UInt64
        /// What its balloon holds back now (configured minus actual).
        var balloonedBytes: UInt64
    }

    struct Entry: Sendable, Equatable {
        var name: String
        var kind: WorkloadKind
        /// Usage minus inactive page cache; a process group's RSS; an unjoined VM's QEMU RSS.
        var workingSetBytes: UInt64
        /// What sits in swap now.
        var swapBytes: UInt64
        /// A cumulative count of bytes read back from swap: anon refaults times the page size.
        var readBackCounterBytes: UInt64?
        var vm: VMShare?
    }

    var entries: [Entry]
    /// RAM, or the capacity cgroup's limit (RAM when it has none).
    var installedBytes: UInt64
    /// Memory in use that reclaim cannot simply drop: `MemTotal - MemAvailable`, or the capacity cgroup's working set.
    var usedBytes: UInt64
    var availableBytes: UInt64
    /// Pages only in swap (host), or the capacity cgroup's swap.
    var swappedBytes: UInt64
    /// Host `pswpin`, or the capacity cgroup's anon refaults, in bytes.
    var readBackCounterBytes: UInt64?

    /// `nil` when meminfo lacks `MemTotal` or `MemAvailable`, or the capacity cgroup was not read.
    init?(sweep: Sweep, settings: MinimumHostMemoryAdvisor.Settings) {
        let meminfo = sweep.host.meminfoBytes
        guard let total = meminfo["MemTotal"], let available = meminfo["MemAvailable"] else { return nil }
        let page = settings.pageSizeBytes
        let scope = settings.capacityCgroup
        if let scope {
            guard let capacity = sweep.capacity, capacity.cgroup == scope else { return nil }
            let installed = min(capacity.limitBytes ?? total, total)
            let used = Self.workingSet(capacity)
            self.installedBytes = installed
            self.usedBytes = used
            self.availableBytes = installed > used ? installed - used : 0
            self.swappedBytes = capacity.swapBytes ?? 0
            self.readBackCounterBytes = Self.readBackCounter(capacity, pageSizeBytes: page)
        } else {
            let swapTotal = meminfo["SwapTotal"] ?? 0, swapFree = meminfo["SwapFree"] ?? 0, cached = meminfo["SwapCached"] ?? 0
            self.installedBytes = total
            self.usedBytes = total > available ? total - available : 0
            self.availableBytes = min(available, total)
            self.swappedBytes = swapTotal > swapFree + cached ? swapTotal - swapFree - cached : 0
            self.readBackCounterBytes = sweep.host.vmstat["pswpin"].map { $0 * page }
        }

        // Workloads in scope, outermost first: a cgroup inside one already counted is part of it. Each path's
        // ancestors are looked up in a set (depth lookups per workload, not a scan of every counted one). Workloads
        // that share a name (two cgroups an operator named alike) are one workload, their figures summed.
        var counted: Set<Substring> = []
        var entries: [Entry] = []
        var byName: [String: Int] = [:]
        for workload in sweep.workloads.sorted(by: { $0.cgroup.count < $1.cgroup.count }) {
            let path = workload.cgroup
            if path.split(separator: "/").last == Substring(MinimumHostMemoryAdvisor.calibrationCgroupName) { continue }
            if let scope, !(path.hasPrefix(scope + "/")) { continue }
            if !path.isEmpty {
                var inside = false
                var index = path.index(after: path.startIndex)
                while let slash = path[index...].firstIndex(of: "/") {
                    if counted.contains(path[..<slash]) { inside = true; break }
                    index = path.index(after: slash)
                }
                if inside || !counted.insert(Substring(path)).inserted { continue }
            }
            let entry = Entry(name: workload.name, kind: workload.kind, workingSetBytes: Self.workingSet(workload),
                              swapBytes: workload.swapBytes ?? 0,
                              readBackCounterBytes: Self.readBackCounter(workload, pageSizeBytes: page))
            if let index = byName[workload.name] {
                entries[index].workingSetBytes += entry.workingSetBytes
                entries[index].swapBytes += entry.swapBytes
                entries[index].readBackCounterBytes = entries[index].readBackCounterBytes.flatMap { a in entry.readBackCounterBytes.map { a + $0 } }
            } else {
                byName[workload.name] = entries.count
                entries.append(entry)
            }
        }
        // VMs that are up, once each: the joined workload carries the share; an unjoined one stands on its own.
        var seen: Set<String> = []
        for vm in sweep.vms where vm.up && seen.insert(vm.name).inserted {
            guard let configured = vm.configuredBytes else { continue }
            let actual = vm.balloonActualBytes ?? configured
            let share = VMShare(guestFloorBytes: settings.balloonFloor(vm: vm.name, configuredBytes: configured),
                                overheadBytes: vm.rssBytes.map { $0 > actual ? $0 - actual : 0 } ?? 0,
                                balloonedBytes: configured > actual ? configured - actual : 0)
            if let joined = sweep.vmWorkloads[vm.name], let index = byName[joined] {
                entries[index].vm = share
            } else if let index = byName[vm.name] {
                entries[index].vm = share
            } else if scope == nil {
                entries.append(Entry(name: vm.name, kind: .vm, workingSetBytes: vm.rssBytes ?? 0, swapBytes: 0,
                                     readBackCounterBytes: nil, vm: share))
            }
        }
        self.entries = entries
    }

    /// The sample's working set (``WorkloadSample/workingSetBytes``); usage alone when memory.stat has no
    /// `inactive_file`, 0 when there is no usage either.
    static func workingSet(_ sample: WorkloadSample) -> UInt64 {
        sample.workingSetBytes ?? sample.usageBytes ?? 0
    }

    /// Anon refaults are pages read back from swap soon after they went there; pre-5.9 kernels count refaults only
    /// as one figure, which the page cache dominates, so there is no read-back counter on them.
    static func readBackCounter(_ sample: WorkloadSample, pageSizeBytes: UInt64) -> UInt64? {
        sample.stat[.workingsetRefaultAnon].map { $0 * pageSizeBytes }
    }
}
