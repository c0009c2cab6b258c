import Detectors

/// Assembles one detector window for a group from recorded latency and two snapshots.
///
/// Pure apart from its inputs: the snapshots at the window's start and end give the memory signals (through
/// ``SignalModel``), the latency samples give each server's distribution.
struct WindowBuilder {
    let group: GroupSettings
    /// Server name to the workload name its memory signals are found under.
    let workloadOfServer: [String: String]
    let pageSizeBytes: Double

    func window(startSeconds: Double, endSeconds: Double, samples: [LatencySample],
                previous: Snapshot?, current: Snapshot) -> GroupWindow {
        let elapsed = previous.map { current.timestampSeconds - $0.timestampSeconds } ?? 0
        let signals = self.workloadSignals(previous: previous, current: current, elapsedSeconds: elapsed)
        var servers: [ServerWindow] = []
        let byServer = Dictionary(grouping: samples, by: \.server)
        for server in self.group.servers {
            let mine = byServer[server.name] ?? []
            // The server-reported task time is what the study measured; fall back to the client's view.
            let latencies = mine.compactMap { $0.outcome == .success ? ($0.serverSeconds ?? $0.seconds) : nil }
            let failures = mine.count - latencies.count
            let workload = self.workloadOfServer[server.name]
            servers.append(ServerWindow(server: server.name, workload: workload, latenciesSeconds: latencies,
                                        failures: failures, signals: workload.flatMap { signals[$0] } ?? WorkloadSignals()))
        }
        let serverWorkloads = Set(self.workloadOfServer.values)
        let neighbours = signals.filter { !serverWorkloads.contains($0.key) }
        let host = previous.map {
            SignalModel.host(previous: $0.host, current: current.host, elapsedSeconds: elapsed, pageSizeBytes: self.pageSizeBytes)
        } ?? HostSignals(memAvailableBytes: current.host.meminfoBytes["MemAvailable"].map { Double($0) },
                         memTotalBytes: current.host.meminfoBytes["MemTotal"].map { Double($0) })
        return GroupWindow(group: self.group.name, startSeconds: startSeconds, endSeconds: endSeconds,
                           servers: servers, host: host, neighbours: neighbours)
    }

    /// Signals of every workload in the current snapshot, VMs' balloon and guest signals added to their workload.
    func workloadSignals(previous: Snapshot?, current: Snapshot, elapsedSeconds: Double) -> [String: WorkloadSignals] {
        var previousByName: [String: WorkloadSample] = [:]
        for sample in previous?.workloads ?? [] { previousByName[sample.name] = sample }
        var result: [String: WorkloadSignals] = [:]
        for sample in current.workloads {
            result[sample.name] = SignalModel.workload(previous: previousByName[sample.name], current: sample,
                                                       elapsedSeconds: elapsedSeconds)
        }
        // A VM's balloon and guest signals belong to the workload it was joined to (a libvirt scope, or the container
        // or cgroup its QEMU runs in), which is the name a server's `workload:` refers to.
        let previousVMs = Dictionary((previous?.vms ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for vm in current.vms {
            let key = vm.workload ?? vm.name
            var signals = result[key] ?? WorkloadSignals()
            SignalModel.addVM(previous: previousVMs[vm.name], current: vm, elapsedSeconds: elapsedSeconds, to: &signals)
            result[key] = signals
        }
        return result
    }
}
