import Detectors
import Logging
import ServiceLifecycle

/// The VM pollers (a ``QMPFleet`` and a ``LibvirtPoller``) as one service, and the collector that reads them.
///
/// Sources: QMP sockets from `--qmp.socket` (repeatable) plus the config's `qmp.sockets` globs; libvirt from
/// `--libvirt.uri`, else the config's `libvirt.uri` (off when neither is given). Without `virsh` the libvirt part is
/// off and says so once at info; the daemon runs on. With no source at all (or `--no-collector.vm`) there is no
/// collector and ``run()`` just waits for shutdown, so hosts without VMs export exactly what they did before.
struct VMServices: Service {
    let fleet: QMPFleet?
    let libvirt: LibvirtPoller?
    private let logger: Logger

    /// - Parameters:
    ///   - qmpSockets: `--qmp.socket` paths (before the config's globs).
    ///   - libvirtURI: `--libvirt.uri`; overrides the config's `libvirt.uri`.
    ///   - settings: the config file's `qmp` and `libvirt` sections.
    ///   - enabled: `--collector.vm`.
    ///   - pollInterval: time between two reads of one VM (the daemon passes its collection interval).
    ///   - rediscoveryInterval: time between two expansions of the socket globs (and libvirt domain listings).
    ///   - logger: base logger.
    init(qmpSockets: [String], libvirtURI: String?, settings: VMSettings, enabled: Bool = true,
         pollInterval: Duration = .seconds(5), rediscoveryInterval: Duration = .seconds(30), logger: Logger) {
        self.logger = logger
        let patterns = qmpSockets + settings.qmpSockets
        if enabled && !patterns.isEmpty {
            let configuration = QMPConfiguration(pollInterval: pollInterval,
                                                 guestStatsIntervalSeconds: settings.guestStatsIntervalSeconds)
            self.fleet = QMPFleet(discovery: QMPSocketDiscovery(patterns: patterns), configuration: configuration,
                                  rediscoveryInterval: rediscoveryInterval, logger: logger)
        } else {
            self.fleet = nil
        }
        if enabled, let uri = libvirtURI ?? settings.libvirtURI {
            let collector = LibvirtPoller(
                configuration: LibvirtConfiguration(uri: uri, pollInterval: pollInterval,
                                                    discoveryInterval: rediscoveryInterval),
                logger: logger)
            if collector.isAvailable {
                self.libvirt = collector
            } else {
                logger.info("libvirt collection off: no virsh executable (apt-get install libvirt-clients)",
                            metadata: ["libvirt.uri": "\(uri)"])
                self.libvirt = nil
            }
        } else {
            self.libvirt = nil
        }
    }

    /// Whether any VM source is on.
    var isEnabled: Bool { self.fleet != nil || self.libvirt != nil }

    /// The sweep's VM collector (to run after the cgroup and process collectors); `nil` when no source is on.
    func makeCollector() -> VMCollector? {
        guard self.isEnabled else { return nil }
        return VMCollector(fleet: self.fleet, libvirt: self.libvirt, logger: self.logger)
    }

    /// Finds the QMP sockets and reads every VM once, waiting at most `bound`, so the first sweep (and the first
    /// scrape) already has each VM's `vm_up` and balloon state instead of the VMs appearing one interval later.
    ///
    /// A VM that is still answering when `bound` passes keeps its "not polled yet" sample (`vm_up 0`) until its own
    /// poll loop gets through; the read left running finishes on its own per-call timeouts.
    func readAllOnce(within bound: Duration) async {
        guard self.isEnabled else { return }
        self.fleet?.refresh()
        let fleet = self.fleet, libvirt = self.libvirt
        let (finished, continuation) = AsyncStream<Void>.makeStream()
        // Not awaited: when the bound passes first, the reads finish on their own per-call timeouts.
        Task {
            await withDiscardingTaskGroup { group in
                if let fleet { group.addTask { await fleet.pollAll() } }
                if let libvirt { group.addTask { await libvirt.readAllOnce() } }
            }
            continuation.yield()
        }
        let timer = Task {
            try? await Task.sleep(for: bound)
            continuation.yield()
        }
        for await _ in finished { break }
        timer.cancel()
    }

    /// Polls every VM until graceful shutdown or cancellation.
    func run() async throws {
        guard self.isEnabled else {
            // A service that returns would stop the ServiceGroup; an idle one waits for the end.
            try? await gracefulShutdown()
            return
        }
        self.logger.info("VM collection on", metadata: [
            "qmp.sockets": "\(self.fleet?.discovery.patterns.joined(separator: ",") ?? "")",
            "libvirt.uri": "\(self.libvirt?.configuration.uri ?? "")",
        ])
        let fleet = self.fleet, libvirt = self.libvirt
        try? await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                if let fleet { group.addTask { await fleet.run() } }
                if let libvirt { group.addTask { try? await libvirt.run() } }
            }
        }
    }
}
