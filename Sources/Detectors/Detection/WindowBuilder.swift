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
    ///   - notBeforeSeconds: samples whose own time (``LatencySample/atSeconds``) is earlier are left out.
    ///   - previous: the sweep at the window's start; `nil` for a first window (no rates then).
    ///   - current: the sweep at its end.
    public func window(startSeconds: Double, endSeconds: Double, samples: some RandomAccessCollection<LatencySample>,
                       notBeforeSeconds: Double = -.infinity, previous: Sweep?, current: Sweep) -> GroupWindow {
        let elapsed = previous.map { current.elapsedSeconds(since: $0) } ?? 0
        let signals = self.workloadSignals(previous: previous, current: current, elapsedSeconds: elapsed)
        // Each server's latencies and failure count: a group pushed at 5,000 samples a second has 150,000 in a
        // window, and copying the samples themselves per server doubled what the window held. A counting pass
        // first, so each array is allocated once at its size: grown by appending, every array left the blocks it
        // outgrew free between live ones, as much again as the latencies.
        let included = { (sample: LatencySample) in sample.group == self.group && sample.atSeconds >= notBeforeSeconds }
        var successes: [String: Int] = [:]
        for sample in samples where included(sample) && sample.taskSeconds != nil {
            successes[sample.server, default: 0] += 1
        }
        var latencies: [String: [Double]] = [:]
        for (server, count) in successes {
            latencies[server] = []
            latencies[server]!.reserveCapacity(count)
        }
        var failures: [String: Int] = [:]
        for sample in samples where included(sample) {
            if let seconds = sample.taskSeconds {
                latencies[sample.server, default: []].append(seconds)
            } else {
                failures[sample.server, default: 0] += 1
            }
        }
        var servers: [ServerWindow] = []
        for server in self.servers {
            let workload = self.workloadOfServer[server]
            servers.append(ServerWindow(server: server, workload: workload, latenciesSeconds: latencies[server] ?? [],
                                        failures: failures[server] ?? 0,
                                        signals: workload.flatMap { signals[$0] } ?? WorkloadSignals()))
        }
        let serverWorkloads = Set(self.workloadOfServer.values)
        let neighbours = signals.filter { !serverWorkloads.contains($0.key) }
        let host = previous.map {
            SignalModel.host(previous: $0.host, current: current.host, elapsedSeconds: elapsed, pageSizeBytes: self.pageSizeBytes)
        } ?? HostSignals(memAvailableBytes: current.host.meminfoBytes["MemAvailable"].map { Double($0) },
                         memTotalBytes: current.host.meminfoBytes["MemTotal"].map { Double($0) })
        let known = Set(self.servers)
        let rounds = LatencyRound.rounds(of: samples) { $0.group == self.group && known.contains($0.server) }
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
