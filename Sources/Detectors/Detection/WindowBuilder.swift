/// Assembles one detector window for a group from its latency samples and the sweeps at the window's two ends.
///
/// Pure: the sweeps give the memory signals (through ``SignalModel``), the samples each server's distribution. The
/// same builder serves the live engine and replay, so both build identical windows from identical inputs.
public struct WindowBuilder: Sendable, Equatable, Codable {
    /// The group's name.
    public let group: String
    /// The group's servers, in the order the config lists them.
    public let servers: [String]
    /// Server name to the workload name its memory signals are found under; servers without one have no signals.
    public let workloadOfServer: [String: String]
    /// Page size of the host (vmstat swap counters are in pages).
    public let pageSizeBytes: Double

    public init(group: String, servers: [String], workloadOfServer: [String: String], pageSizeBytes: Double) {
        self.group = group
        self.servers = servers
        self.workloadOfServer = workloadOfServer
        self.pageSizeBytes = pageSizeBytes
    }

    /// The window `[startSeconds, endSeconds)`.
    ///
    /// - Parameters:
    ///   - samples: the group's samples for the window (other groups' samples are ignored).
    ///   - previous: the sweep at the window's start; `nil` for a first window (no rates then).
    ///   - current: the sweep at its end.
    public func window(startSeconds: Double, endSeconds: Double, samples: [LatencySample],
                       previous: Sweep?, current: Sweep) -> GroupWindow {
        let elapsed = previous.map { current.atSeconds - $0.atSeconds } ?? 0
        let signals = self.workloadSignals(previous: previous, current: current, elapsedSeconds: elapsed)
        var byServer: [String: [LatencySample]] = [:]
        for sample in samples where sample.group == self.group { byServer[sample.server, default: []].append(sample) }
        var servers: [ServerWindow] = []
        for server in self.servers {
            let mine = byServer[server] ?? []
            let latencies = mine.compactMap(\.taskSeconds)
            let workload = self.workloadOfServer[server]
            servers.append(ServerWindow(server: server, workload: workload, latenciesSeconds: latencies,
                                        failures: mine.count - latencies.count,
                                        signals: workload.flatMap { signals[$0] } ?? WorkloadSignals()))
        }
        let serverWorkloads = Set(self.workloadOfServer.values)
        let neighbours = signals.filter { !serverWorkloads.contains($0.key) }
        let host = previous.map {
            SignalModel.host(previous: $0.host, current: current.host, elapsedSeconds: elapsed, pageSizeBytes: self.pageSizeBytes)
        } ?? HostSignals(memAvailableBytes: current.host.meminfoBytes["MemAvailable"].map { Double($0) },
                         memTotalBytes: current.host.meminfoBytes["MemTotal"].map { Double($0) })
        let known = Set(self.servers)
        let rounds = LatencyRound.rounds(of: samples.filter { $0.group == self.group && known.contains($0.server) })
        return GroupWindow(group: self.group, startSeconds: startSeconds, endSeconds: endSeconds,
                           servers: servers, rounds: rounds, host: host, neighbours: neighbours)
    }

    /// Signals of every workload in the current sweep, VMs' balloon and guest signals added to their workload.
    public func workloadSignals(previous: Sweep?, current: Sweep, elapsedSeconds: Double) -> [String: WorkloadSignals] {
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
            let key = current.workload(ofVM: vm.name)
            var signals = result[key] ?? WorkloadSignals()
            SignalModel.addVM(previous: previousVMs[vm.name], current: vm, elapsedSeconds: elapsedSeconds, to: &signals)
            result[key] = signals
        }
        return result
    }
}
