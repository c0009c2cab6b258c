import ArgumentParser
import Parsers

/// Flags shared by every command that collects: roots, collectors, config.
struct CollectionOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "YAML config file (workloads, groups, VMs, push); SIGHUP re-reads it.")
    var config: String?

    @Option(name: .customLong("path.procfs"), help: "procfs mount point.")
    var procfs = "/proc"

    @Option(name: .customLong("path.sysfs"), help: "sysfs mount point.")
    var sysfs = "/sys"

    @Option(name: .customLong("path.cgroupfs"), help: "cgroup root (default: <path.sysfs>/fs/cgroup).")
    var cgroupfs: String?

    @Flag(name: .customLong("collector.meminfo"), inversion: .prefixedNo, help: "Host /proc/meminfo.")
    var meminfo = true

    @Flag(name: .customLong("collector.vmstat"), inversion: .prefixedNo, help: "Host /proc/vmstat (swap, faults, reclaim).")
    var vmstat = true

    @Flag(name: .customLong("collector.pressure"), inversion: .prefixedNo, help: "Host PSI (/proc/pressure).")
    var pressure = true

    @Flag(name: .customLong("collector.cgroup"), inversion: .prefixedNo, help: "Per-workload cgroup memory (v1, v2, hybrid).")
    var cgroup = true

    @Flag(name: .customLong("collector.process"), inversion: .prefixedNo, help: "Processes via libproc2 (live /proc only).")
    var process = true

    @Flag(name: .customLong("collector.vm"), inversion: .prefixedNo,
          help: "VMs over QMP (--qmp.socket, config qmp.sockets) and libvirt (--libvirt.uri, config libvirt.uri).")
    var vm = true

    @Option(name: .customLong("qmp.socket"),
            help: "A QEMU QMP socket reserved for InterferenceWatch (repeatable; added to the config's qmp.sockets).")
    var qmpSockets: [String] = []

    @Option(name: .customLong("libvirt.uri"),
            help: "libvirt URI to read domains from with virsh -r (default: the config's libvirt.uri, else off).")
    var libvirtURI: String?

    @Flag(name: .customLong("collection.keep-files-open"), inversion: .prefixedNo,
          help: "Keep kernel files open between sweeps and re-read them with pread (cheaper sweeps).")
    var keepFilesOpen = true

    @Option(name: .customLong("capacity.cgroup"),
            help: "Size the RAM advice for the workloads under this cgroup (relative to the cgroup root, like /lab.slice) against its memory limit instead of the host's RAM (config advice.capacity_cgroup).")
    var capacityCgroup: String?

    var paths: CollectorPaths { CollectorPaths(procfs: self.procfs, sysfs: self.sysfs, cgroupfs: self.cgroupfs) }

    func loadConfig() throws -> DaemonConfig {
        var loaded = try self.config.map { try DaemonConfig.load(path: $0) } ?? DaemonConfig()
        if let capacity = self.capacityCgroup { loaded.advice.capacityCgroup = CgroupPath.normalise(capacity) }
        return loaded
    }

    /// The collectors in their fixed order (processes before cgroups is irrelevant: each adds its own workloads).
    ///
    /// - Parameter vm: the VM pollers; their collector runs last, after the process and cgroup collectors it joins.
    func makeCollectors(config: DaemonConfig, reader: CachedFileReader, vm: VMServices? = nil) -> [any Collector] {
        let paths = self.paths
        var collectors: [any Collector] = []
        if self.meminfo { collectors.append(MeminfoCollector(paths: paths, reader: reader)) }
        if self.vmstat { collectors.append(VMStatCollector(paths: paths, reader: reader)) }
        if self.pressure { collectors.append(PressureCollector(paths: paths, reader: reader)) }
        if self.cgroup {
            let named = config.workloads.compactMap { rule -> (path: String, name: String)? in
                if case .cgroup(let path) = rule.selector { return (path, rule.name) }
                return nil
            }
            collectors.append(CgroupCollector(paths: paths, namedCgroups: named, reader: reader,
                                              capacityCgroup: config.advice.capacityCgroup))
        }
        if self.process {
            let rules = config.workloads.compactMap { rule -> (name: String, matcher: ProcessMatcher)? in
                if case .process(let matcher) = rule.selector { return (rule.name, matcher) }
                return nil
            }
            collectors.append(ProcessCollector(paths: paths, rules: rules))
        }
        if let collector = vm?.makeCollector() { collectors.append(collector) }
        return collectors
    }
}
