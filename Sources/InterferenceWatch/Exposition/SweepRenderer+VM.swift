import Detectors

extension SweepRenderer {
    /// Adds the `interferencewatch_vm_*` families: one set of series per VM in ``CollectedSweep/vms``.
    ///
    /// Labels: `vm` (QMP `query-name`, else the socket's file name; the libvirt domain name) and, when the VM is
    /// joined to a host workload (see ``VMJoin``), `workload` with that workload's name, the same value as the
    /// `workload` label of `interferencewatch_workload_*{type="vm"}` (or of the container/service the QEMU runs in).
    /// An unjoined VM carries no `workload` label at all, never an empty one. Both read the same in PromQL, and
    /// `on(workload)` joins simply skip the VM. A value the source did not report (no balloon, no guest driver,
    /// no stats polling) gives no series, never 0.
    func addVMs(_ snapshot: CollectedSweep, to set: inout FamilySet) {
        for vm in snapshot.vms {
            var labels: [(name: String, value: String)] = [("vm", vm.name)]
            if let workload = snapshot.sweep.vmWorkloads[vm.name] { labels.append(("workload", workload)) }
            set.add("vm_up", .gauge,
                    "Whether the last read of the VM worked (QMP connection and queries, or libvirt virsh dominfo).",
                    labels, vm.up ? 1 : 0)
            set.add("vm_memory_configured_bytes", .gauge,
                    "RAM the VM was started with (QMP query-memory-size-summary base-memory, "
                        + "libvirt dominfo Max memory).",
                    labels, vm.configuredBytes)
            set.add("vm_memory_maximum_bytes", .gauge,
                    "Most RAM the VM may have (QMP base-memory plus plugged-memory, libvirt dominfo Max memory).",
                    labels, vm.maximumBytes)
            set.add("vm_balloon_actual_bytes", .gauge,
                    "Guest-visible RAM after ballooning (QMP query-balloon actual, libvirt dommemstat actual).",
                    labels, vm.balloonActualBytes)
            set.add("vm_balloon_target_bytes", .gauge,
                    "RAM the balloon is asked to reach (libvirt dominfo Used memory; QMP cannot read it back).",
                    labels, vm.balloonTargetBytes)
            // Every reason from the VM's first scrape on, so rate() and increase() work from the first failure.
            let errors = snapshot.vmErrorCounts[vm.name] ?? [:]
            for reason in VMCollector.errorReasons {
                set.add("vm_monitor_errors_total", .counter,
                        "Failed reads of the VM since the daemon started watching it, by reason: connect, timeout, "
                            + "closed, malformed, command (QMP polls and libvirt virsh reads alike).",
                        labels + [("reason", reason)], errors[reason] ?? 0)
            }
            set.add("vm_rss_bytes", .gauge,
                    "Host RSS of the QEMU process (libvirt dommemstat rss, else the process's VmRSS).",
                    labels, vm.rssBytes)
            self.addGuestStats(vm, snapshot: snapshot, labels: labels, to: &set)
            if vm.source == .qmp {
                // Events exist only on QMP; libvirt gives no series rather than a misleading 0.
                set.add("vm_balloon_changes_total", .counter,
                        "BALLOON_CHANGE events seen on the VM's QMP socket since the daemon started.",
                        labels, vm.balloonChanges)
            }
            for (event, count) in vm.eventCounts {
                set.add("vm_events_total", .counter,
                        "QMP events seen on the VM's QMP socket since the daemon started, by event.",
                        labels + [("event", event)], count)
            }
            set.add("vm_last_balloon_change_timestamp_seconds", .gauge,
                    "QEMU's timestamp of the latest QMP BALLOON_CHANGE event (Unix time).",
                    labels, vm.lastBalloonChangeSeconds)
        }
    }

    private func addGuestStats(_ vm: VMSample, snapshot: CollectedSweep, labels: [(name: String, value: String)],
                               to set: inout FamilySet) {
        guard let stats = vm.guestStats else { return }
        set.add("vm_guest_memory_available_bytes", .gauge,
                "The guest's MemAvailable, from its balloon driver "
                    + "(QMP guest-stats stat-available-memory, libvirt usable).",
                labels, stats.availableBytes)
        set.add("vm_guest_memory_free_bytes", .gauge,
                "Memory the guest leaves unused, from its balloon driver (QMP stat-free-memory, libvirt unused).",
                labels, stats.freeBytes)
        set.add("vm_guest_memory_total_bytes", .gauge,
                "The guest's MemTotal, shrinking as the balloon inflates (QMP stat-total-memory, libvirt available).",
                labels, stats.totalBytes)
        set.add("vm_guest_disk_caches_bytes", .gauge,
                "Page cache the guest could drop (QMP stat-disk-caches, libvirt disk_caches).",
                labels, stats.diskCachesBytes)
        set.add("vm_guest_swap_in_bytes_total", .counter,
                "Bytes the guest swapped in (QMP stat-swap-in, libvirt swap_in).", labels, stats.swapInBytes)
        set.add("vm_guest_swap_out_bytes_total", .counter,
                "Bytes the guest swapped out (QMP stat-swap-out, libvirt swap_out).", labels, stats.swapOutBytes)
        set.add("vm_guest_major_faults_total", .counter,
                "Page faults inside the guest that needed I/O (QMP stat-major-faults, libvirt major_fault).",
                labels, stats.majorFaults)
        set.add("vm_guest_minor_faults_total", .counter,
                "Page faults inside the guest served from memory (QMP stat-minor-faults, libvirt minor_fault).",
                labels, stats.minorFaults)
        if let lastUpdate = stats.lastUpdateSeconds, snapshot.atSeconds > 0 {
            // The guest may report between the sweep's start and the VM collector's read: clamp at 0.
            set.add("vm_guest_stats_age_seconds", .gauge,
                    "Time since the guest's balloon driver last reported "
                        + "(QMP guest-stats last-update, libvirt last_update).",
                    labels, max(0, snapshot.atSeconds - Double(lastUpdate)))
        }
    }
}
