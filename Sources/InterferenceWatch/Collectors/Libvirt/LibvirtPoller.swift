import Detectors
import Foundation
import Logging
import Synchronization
import Parsers

/// Reads the memory of libvirt domains through `virsh` (read-only), one independent poll loop per domain.
///
/// libvirt owns the QMP monitor of its domains (QMP serves one client per socket), so this reader never touches
/// their sockets. Per domain and poll: `virsh -r -c <uri> dominfo <dom>` (state, `Max memory`, `Used memory`) and,
/// for a running domain, `virsh -r -c <uri> dommemstat <dom>`. Domains are discovered with
/// `virsh -r -c <uri> list --all --name` every ``LibvirtConfiguration/discoveryInterval``.
///
/// Without virsh the reader reports "libvirt unavailable" once and stays idle; the daemon runs on.
final class LibvirtPoller: Sendable {
    let configuration: LibvirtConfiguration
    private let runner: VirshRunner
    /// Paces discovery and every domain's polls.
    private let clock: ServiceClock
    private let logger: Logger
    private let latest = Mutex<[String: VMSample]>([:])
    /// Per domain (and "" for discovery), the category of the last error logged, so a persisting failure is logged
    /// once per outage, not every poll.
    private let loggedErrors = Mutex<[String: String]>([:])
    /// Per domain, failed reads by reason (``VMCollector/errorReasons``).
    private let errors = Mutex<[String: [String: UInt64]]>([:])
    /// Domains no longer listed since the last ``takeVanished()``.
    private let vanished = Mutex<UInt64>(0)

    /// - Parameters:
    ///   - configuration: URI, intervals, timeout, optional domain list.
    ///   - logger: failures are logged once per outage and domain at warning (again only when the kind of failure
    ///     changes) with `vm.name`, `libvirt.uri`, `error.reason` and `error.message`; the recovery once at info.
    ///   - clock: paces discovery and polls.
    init(configuration: LibvirtConfiguration = .init(), clock: ServiceClock = .continuous, logger: Logger) {
        self.configuration = configuration
        self.clock = clock
        self.runner = VirshRunner(executable: configuration.virshPath)
        var logger = logger
        logger[metadataKey: "libvirt.uri"] = "\(configuration.uri)"
        self.logger = logger
    }

    /// `false` when no virsh executable was found.
    var isAvailable: Bool { self.runner.isAvailable }

    /// The latest sample of every known domain, sorted by name; never waits for a read in progress.
    func samples() -> [VMSample] {
        self.latest.withLock { $0.values.sorted { $0.name < $1.name } }
    }

    /// ``samples()`` with each domain's failed reads by reason.
    func readings() -> [VMJoin.Reading] {
        let errors = self.errors.withLock { $0 }
        return self.samples().map { VMJoin.Reading($0, errorCounts: errors[$0.name] ?? [:]) }
    }

    /// Domains dropped because libvirt no longer lists them, since the last call.
    func takeVanished() -> UInt64 {
        self.vanished.withLock { count in
            defer { count = 0 }
            return count
        }
    }

    /// Discovers and polls domains until the task is cancelled.
    ///
    /// Returns only on cancellation, also when libvirt is unavailable (a service that returned early would stop a
    /// swift-service-lifecycle `ServiceGroup`).
    func run() async throws {
        guard self.isAvailable else {
            self.logger.warning("libvirt unavailable", metadata: ["error.message": "no virsh executable found"])
            // Idle until cancelled: a long ticker, so this waits on the injected clock like every other loop.
            var idle = PeriodicTicker(clock: self.clock, interval: .seconds(3600))
            idle.startTick()
            while await idle.sleepUntilDue() { idle.startTick() }
            return
        }
        var loops: [String: Task<Void, Never>] = [:]
        defer { loops.values.forEach { $0.cancel() } }
        var ticker = PeriodicTicker(clock: self.clock, interval: self.configuration.discoveryInterval)
        repeat {
            ticker.startTick()
            if let domains = await self.discoverLogged() {
                for domain in domains where loops[domain] == nil {
                    loops[domain] = Task { await self.poll(domain: domain) }
                }
                for (domain, loop) in loops where !domains.contains(domain) {
                    loop.cancel()
                    loops[domain] = nil
                    _ = self.latest.withLock { $0.removeValue(forKey: domain) }
                    _ = self.errors.withLock { $0.removeValue(forKey: domain) }
                    _ = self.loggedErrors.withLock { $0.removeValue(forKey: domain) }
                    self.vanished.withLock { $0 += 1 }
                }
            }
        } while await ticker.sleepUntilDue()
    }

    /// Discovers the domains and reads each once, concurrently (before the first sweep, so libvirt VMs are in the
    /// first scrape). Each `virsh` call is bounded by ``LibvirtConfiguration/commandTimeout``.
    func readAllOnce() async {
        guard self.isAvailable, let domains = await self.discoverLogged() else { return }
        await withDiscardingTaskGroup { group in
            for domain in domains { group.addTask { _ = await self.read(domain: domain) } }
        }
    }

    /// The domains to watch: the configured list, or every domain `virsh list --all --name` shows.
    func discover() async throws(LibvirtError) -> [String] {
        if let domains = self.configuration.domains { return domains }
        let output = try await self.runner.run(["-r", "-c", self.configuration.uri, "list", "--all", "--name"],
                                               timeout: self.configuration.commandTimeout)
        return output.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// Reads one domain now and publishes the result.
    @discardableResult
    func read(domain: String) async -> VMSample {
        let started = ContinuousClock.now
        let wallClock = Date().timeIntervalSince1970
        var sample: VMSample
        do {
            sample = try await self.readThrowing(domain: domain)
            if self.loggedErrors.withLock({ $0.removeValue(forKey: domain) }) != nil {
                self.logger.info("libvirt domain reachable again", metadata: ["vm.name": "\(domain)"])
            }
        } catch {
            sample = VMSample(name: domain, source: .libvirt, up: false, error: error.description)
            self.errors.withLock { $0[domain, default: [:]][error.reason, default: 0] += 1 }
            let metadata: Logger.Metadata = ["vm.name": "\(domain)", "error.message": "\(error.description)",
                                             "error.reason": "\(error.reason)"]
            if self.isNewProblem(error, key: domain) {
                self.logger.warning("libvirt read failed", metadata: metadata)
            } else {
                self.logger.debug("libvirt read failed", metadata: metadata)
            }
        }
        sample.collectedAtSeconds = wallClock
        let elapsed = (ContinuousClock.now - started).components
        sample.readDurationSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        self.latest.withLock { $0[domain] = sample }
        return sample
    }

    private func readThrowing(domain: String) async throws(LibvirtError) -> VMSample {
        let base = ["-r", "-c", self.configuration.uri]
        let timeout = self.configuration.commandTimeout
        let info = DomInfo(parsing: try await self.runner.run(base + ["dominfo", domain], timeout: timeout))
        guard info.state != nil else {
            throw LibvirtError(command: "virsh dominfo \(domain)", kind: .unparsable("no State line"))
        }
        // dommemstat fails on a domain that is not running; its absence is the answer then.
        var stats: DomMemStat?
        if ["running", "paused", "in shutdown", "pmsuspended"].contains(info.state) {
            stats = DomMemStat(parsing: try await self.runner.run(base + ["dommemstat", domain], timeout: timeout))
        }
        return VMSample(libvirtDomain: domain, info: info, memoryStats: stats)
    }

    private func poll(domain: String) async {
        var ticker = PeriodicTicker(clock: self.clock, interval: self.configuration.pollInterval)
        repeat {
            ticker.startTick()
            await self.read(domain: domain)
        } while await ticker.sleepUntilDue()
    }

    private func discoverLogged() async -> [String]? {
        do {
            let domains = try await self.discover()
            if self.loggedErrors.withLock({ $0.removeValue(forKey: "") }) != nil {
                self.logger.info("libvirt discovery works again")
            }
            return domains
        } catch {
            // Keyed by "" (no domain name is empty): discovery failures are logged once too.
            if self.isNewProblem(error, key: "") {
                self.logger.warning("libvirt discovery failed",
                                    metadata: ["error.message": "\(error)", "error.reason": "\(error.reason)"])
            }
            return nil
        }
    }

    /// Records `error` as the problem of `key` (a domain, or "" for discovery); `true` when it is new, i.e. the first
    /// failure of an outage or one of another kind (``LibvirtError/category``) than the last one logged.
    private func isNewProblem(_ error: LibvirtError, key: String) -> Bool {
        self.loggedErrors.withLock { logged in
            defer { logged[key] = error.category }
            return logged[key] != error.category
        }
    }
}
