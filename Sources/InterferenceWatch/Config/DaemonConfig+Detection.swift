import Detectors

extension DaemonConfig {
    /// The groups as detection sees them: server names and the workload each one's memory signals come from.
    var detectionGroups: [SweepDetection.Group] {
        self.groups.map { group in
            var workloads: [String: String] = [:]
            for server in group.servers { workloads[server.name] = self.workloadName(group: group, server: server) }
            return SweepDetection.Group(name: group.name, servers: group.servers.map(\.name), workloadOfServer: workloads)
        }
    }

    /// Group name to the workloads its servers run in (for the server memory-pressure alert).
    var serverWorkloads: [String: [String]] {
        Dictionary(self.detectionGroups.map { group in (group.name, group.servers.compactMap { group.workloadOfServer[$0] }) },
                   uniquingKeysWith: { a, _ in a })
    }
}
