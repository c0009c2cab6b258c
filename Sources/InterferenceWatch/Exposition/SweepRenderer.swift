import Detectors

/// Turns a ``CollectedSweep`` into metric families: the public metric contract lives here.
///
/// Names follow the Prometheus conventions: the `interferencewatch_` prefix, base units (bytes, seconds),
/// counters ending in `_total`. Kernel page counts are converted to bytes where the name says bytes.
struct SweepRenderer {
    var version: String
    /// Page size of the host the snapshot describes (vmstat swap counters are in pages).
    var pageSizeBytes: UInt64

    func families(for snapshot: CollectedSweep) -> [MetricFamily] {
        var set = FamilySet()
        self.addHost(snapshot.host, to: &set)
        self.addWorkloads(snapshot.workloads, to: &set)
        self.addVMs(snapshot, to: &set)
        self.addSelf(snapshot, to: &set)
        return set.all
    }

    func render(_ snapshot: CollectedSweep) -> [UInt8] {
        ExpositionWriter.render(self.families(for: snapshot))
    }

    // MARK: Host

    private static let meminfoGauges: [(key: String, name: String, help: String)] = [
        ("MemTotal", "host_memory_total_bytes", "Total usable RAM (meminfo MemTotal)."),
        ("MemFree", "host_memory_free_bytes", "Unused RAM (meminfo MemFree)."),
        ("MemAvailable", "host_memory_available_bytes", "RAM available for new work without swapping (meminfo MemAvailable)."),
        ("Buffers", "host_memory_buffers_bytes", "Block device buffers (meminfo Buffers)."),
        ("Cached", "host_memory_cached_bytes", "Page cache (meminfo Cached)."),
        ("AnonPages", "host_memory_anon_bytes", "Anonymous memory mapped into processes (meminfo AnonPages)."),
        ("Dirty", "host_memory_dirty_bytes", "Memory waiting to be written back (meminfo Dirty)."),
        ("SwapTotal", "host_swap_total_bytes", "Total swap space (meminfo SwapTotal)."),
        ("SwapFree", "host_swap_free_bytes", "Unused swap space (meminfo SwapFree)."),
        ("SwapCached", "host_swap_cached_bytes", "Swapped-out memory also still in RAM (meminfo SwapCached)."),
    ]

    private static let reclaimers = ["kswapd", "direct", "khugepaged", "proactive"]

    private func addHost(_ host: HostSample, to set: inout FamilySet) {
        for gauge in Self.meminfoGauges {
            set.add(gauge.name, .gauge, gauge.help, [], host.meminfoBytes[gauge.key])
        }
        let vm = host.vmstat
        set.add("host_swap_in_bytes_total", .counter, "Bytes swapped in from disk (vmstat pswpin times the page size).", [],
                vm["pswpin"].map { $0 &* self.pageSizeBytes })
        set.add("host_swap_out_bytes_total", .counter, "Bytes swapped out to disk (vmstat pswpout times the page size).", [],
                vm["pswpout"].map { $0 &* self.pageSizeBytes })
        set.add("host_major_faults_total", .counter, "Page faults that needed disk I/O (vmstat pgmajfault).", [], vm["pgmajfault"])
        set.add("host_page_faults_total", .counter, "All page faults (vmstat pgfault).", [], vm["pgfault"])
        set.add("host_oom_kills_total", .counter, "Processes killed by the OOM killer (vmstat oom_kill).", [], vm["oom_kill"])
        // Kernels since 5.9 split refaults by anon/file; older ones have one counter, shown as type="all".
        let refaultHelp = "Evicted pages faulted back in (vmstat workingset_refault*): memory too small for the working set."
        set.add("host_workingset_refaults_total", .counter, refaultHelp, [("type", "anon")], vm["workingset_refault_anon"])
        set.add("host_workingset_refaults_total", .counter, refaultHelp, [("type", "file")], vm["workingset_refault_file"])
        if vm["workingset_refault_anon"] == nil && vm["workingset_refault_file"] == nil {
            set.add("host_workingset_refaults_total", .counter, refaultHelp, [("type", "all")], vm["workingset_refault"])
        }
        // pgscan_anon/_file split the same pages by LRU type and pgscan_direct_throttle counts throttling events, so
        // only the reclaimer keys are summed into one family.
        for reclaimer in Self.reclaimers {
            set.add("host_pages_scanned_total", .counter, "Pages scanned for reclaim, by reclaimer (vmstat pgscan_*).",
                    [("reclaimer", reclaimer)], vm["pgscan_" + reclaimer])
            set.add("host_pages_reclaimed_total", .counter, "Pages reclaimed, by reclaimer (vmstat pgsteal_*).",
                    [("reclaimer", reclaimer)], vm["pgsteal_" + reclaimer])
        }
        for (resource, stats) in host.pressure {
            let r = resource.rawValue
            set.add("host_pressure_\(r)_waiting_seconds_total", .counter,
                    "Time at least one task waited for \(r) (PSI some total).", [],
                    Double(stats.some.totalMicroseconds) / 1e6)
            set.add("host_pressure_\(r)_waiting_avg10_ratio", .gauge,
                    "Share of the last 10 s at least one task waited for \(r) (PSI some avg10).", [],
                    stats.some.avg10Percent / 100)
            if let full = stats.full {
                set.add("host_pressure_\(r)_stalled_seconds_total", .counter,
                        "Time all non-idle tasks were stalled on \(r) at once (PSI full total).", [],
                        Double(full.totalMicroseconds) / 1e6)
                set.add("host_pressure_\(r)_stalled_avg10_ratio", .gauge,
                        "Share of the last 10 s all non-idle tasks were stalled on \(r) (PSI full avg10).", [],
                        full.avg10Percent / 100)
            }
        }
    }

    // MARK: Workloads

    private func addWorkloads(_ workloads: [WorkloadSample], to set: inout FamilySet) {
        for w in workloads {
            let pairs: [(name: String, value: String)] = [("cgroup", w.cgroup), ("type", w.kind.rawValue), ("workload", w.name)]
            let labels = LabelSet(pairs)
            set.add("workload_memory_usage_bytes", .gauge,
                    "Memory charged to the workload (memory.current, memory.usage_in_bytes, or summed RSS for process groups).",
                    labels, w.usageBytes)
            set.add("workload_memory_limit_bytes", .gauge,
                    "Hard memory limit (memory.max, memory.limit_in_bytes); absent when unlimited.", labels, w.limitBytes)
            set.add("workload_memory_high_bytes", .gauge,
                    "Memory throttling threshold (cgroup v2 memory.high); absent when unset.", labels, w.highBytes)
            set.add("workload_swap_usage_bytes", .gauge,
                    "Swap used by the workload (memory.swap.current, memsw minus usage on v1, or summed VmSwap).",
                    labels, w.swapBytes)
            set.add("workload_memory_working_set_bytes", .gauge,
                    "Usage minus inactive file cache: the memory the workload cannot easily give back.",
                    labels, w.workingSetBytes)
            set.add("workload_memory_anon_bytes", .gauge, "Anonymous memory (memory.stat anon, v1 total_rss).", labels, w.stat[.anon])
            set.add("workload_memory_file_bytes", .gauge, "Page cache (memory.stat file, v1 total_cache).", labels, w.stat[.file])
            set.add("workload_major_faults_total", .counter, "Page faults that needed disk I/O (memory.stat pgmajfault).",
                    labels, w.majorFaults)
            set.add("workload_page_faults_total", .counter, "All page faults (memory.stat pgfault).", labels, w.stat[.pgfault])
            set.add("workload_workingset_refaults_total", .counter,
                    "Evicted pages faulted back in (memory.stat workingset_refault_anon + _file).", labels, w.refaults)
            if let pressure = w.pressure {
                set.add("workload_pressure_memory_waiting_seconds_total", .counter,
                        "Time at least one of the workload's tasks waited for memory (memory.pressure some total).",
                        labels, Double(pressure.some.totalMicroseconds) / 1e6)
                set.add("workload_pressure_memory_waiting_avg10_ratio", .gauge,
                        "Share of the last 10 s at least one task waited for memory (memory.pressure some avg10).",
                        labels, pressure.some.avg10Percent / 100)
                if let full = pressure.full {
                    set.add("workload_pressure_memory_stalled_seconds_total", .counter,
                            "Time all of the workload's tasks were stalled on memory (memory.pressure full total).",
                            labels, Double(full.totalMicroseconds) / 1e6)
                }
            }
            set.add("workload_oom_kills_total", .counter,
                    "Processes of the workload killed by the OOM killer (memory.events oom_kill, v1 memory.oom_control).",
                    labels, w.events["oom_kill"])
            for (event, count) in w.events.sorted(by: { $0.key < $1.key }) where event != "oom_kill" {
                set.add("workload_memory_events_total", .counter,
                        "Memory limit events (memory.events low/high/max/oom; v1 memory.failcnt as max).",
                        pairs + [("event", event)], count)
            }
        }
    }

    // MARK: The daemon itself

    private func addSelf(_ snapshot: CollectedSweep, to set: inout FamilySet) {
        set.add("build_info", .gauge, "Build information; the value is always 1.", [("version", self.version)], 1)
        for status in snapshot.collectors {
            let labels = [(name: "collector", value: status.name)]
            set.add("collector_duration_seconds", .gauge, "How long the collector's last run took.", labels, status.durationSeconds)
            set.add("collector_success", .gauge, "Whether the collector's last run was clean (1) or failed or read malformed data (0).",
                    labels, status.success ? 1 : 0)
            set.add("collector_errors_total", .counter, "Collector failures and malformed lines since the daemon started.",
                    labels, status.errorsTotal)
            set.add("collector_vanished_total", .counter,
                    "Things that disappeared while the collector followed them, since the daemon started: cgroups "
                        + "removed between the walk and the read (cgroup), VMs whose globbed QMP socket was removed or "
                        + "whose libvirt domain is no longer listed (vm). Normal churn, not errors.",
                    labels, status.vanishedTotal)
        }
        if let layout = snapshot.cgroupLayout {
            set.add("cgroup_layout_info", .gauge, "The detected cgroup layout (v1, hybrid or v2); the value is always 1.",
                    [("layout", layout.name)], 1)
        }
        var counts: [WorkloadKind: Int] = [:]
        for w in snapshot.workloads { counts[w.kind, default: 0] += 1 }
        for kind in WorkloadKind.allCases where counts[kind] != nil {
            set.add("workloads", .gauge, "Workloads found in the last sweep, by type.", [("type", kind.rawValue)], Double(counts[kind]!))
        }
        if snapshot.atSeconds > 0 {
            set.add("last_collection_timestamp_seconds", .gauge, "When the last collection sweep started (Unix time).", [],
                    snapshot.atSeconds)
        }
    }
}
