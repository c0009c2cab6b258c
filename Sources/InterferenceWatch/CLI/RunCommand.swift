import ArgumentParser
import AsyncHTTPClient
import CProc2
import Detectors
import Foundation
import Glibc
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import UnixSignals

/// `interference-watch run`: collect every interval and serve `/metrics`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the daemon (the default).")

    @OptionGroup var collection: CollectionOptions
    @OptionGroup var logging: LoggingOptions

    @Option(name: .customLong("web.listen-address"), help: "Address to serve metrics on (host:port).")
    var listenAddress = ":9879"

    @Option(name: .customLong("web.telemetry-path"), help: "Path of the metrics endpoint.")
    var telemetryPath = "/metrics"

    @Option(name: .customLong("push.max-samples-per-second"),
            help: "Pushed latency samples taken per second at most (a burst of two seconds' worth); more get 429 with Retry-After. 0: no limit.")
    var pushMaxSamplesPerSecond = 20_000.0

    @Option(name: .customLong("web.config.file"),
            help: "exporter-toolkit web config (TLS, basic_auth_users, headers); SIGHUP re-reads it.")
    var webConfigFile: String?

    @Flag(name: .customLong("web.reuse-exposition"), inversion: .prefixedNo,
          help: "Render /metrics once per sweep and answer every scrape of that sweep with the same bytes (off: render per scrape, to compare).")
    var reuseExposition = true

    @Flag(name: .customLong("runtime.release-code-pages"), inversion: .prefixedNo,
          help: "Map only the pages of the daemon's code, constants, data and libraries it uses: turn the kernel's fault-around off for them at start (userfaultfd, Linux 6.7+), and one interval after start unmap what start-up mapped, drop the binary's pages from the page cache and hand the data segment's unwritten pages to reclaim (off: keep all as the kernel does).")
    var releaseCodePages = true

    @Option(name: .customLong("collection.interval"), help: "Time between collection sweeps (e.g. 5s, 1m).")
    var interval = "15s"

    @Option(name: .customLong("vm.discovery-interval"),
            help: "Time between two expansions of the QMP socket globs and two libvirt domain listings (e.g. 30s).")
    var vmDiscoveryInterval = "30s"

    @Option(name: .customLong("detection.window"), help: "Length of one detection window (latency and memory signals per window).")
    var detectionWindow = "30s"

    @Option(name: .customLong("storage.path"), help: "Directory of the history file (history.sqlite): sweeps, latency, findings, learned state.")
    var storagePath = "/var/lib/interference-watch"

    @Option(name: .customLong("storage.retention"), help: "How long history is kept (e.g. 15d, 36h).")
    var storageRetention = "15d"

    @Option(name: .customLong("storage.retention.size"),
            help: "Largest history file (e.g. 2GB, 512MiB); the oldest hours go first. 0 means no cap.")
    var storageRetentionSize = "0"

    @Option(name: .customLong("alertmanager.url"),
            help: "An Alertmanager to send alerts to (repeatable; added to the config's alerts.alertmanagers).")
    var alertmanagerURLs: [String] = []

    @Option(name: .customLong("web.external-url"),
            help: "The URL the daemon is reached at, for links in alerts (default http://<host name>:<port>).")
    var externalURL: String?

    @OptionGroup var adviceOptions: AdviceOptions

    @OptionGroup var detectionOptions: DetectionOptions

    /// The flags' durations and address, parsed once (``validate()`` and ``run()`` both use this).
    struct Settings {
        var intervalSeconds: Double
        var detectionWindowSeconds: Double
        var retentionSeconds: Double
        /// `nil`: no size cap.
        var retentionBytes: Int64?
        var address: ListenAddress
        var vmDiscoverySeconds: Double = 30

        var interval: Duration { .milliseconds(Int64(self.intervalSeconds * 1000)) }
        var vmDiscoveryInterval: Duration { .milliseconds(Int64(self.vmDiscoverySeconds * 1000)) }
    }

    func settings() throws -> Settings {
        guard let interval = DurationParser.seconds(self.interval), interval >= 0.1 else {
            throw ValidationError("invalid --collection.interval \"\(self.interval)\": expected a duration of at least 100ms, like 5s or 1m")
        }
        guard let vmDiscovery = DurationParser.seconds(self.vmDiscoveryInterval), vmDiscovery >= 0.1 else {
            throw ValidationError("invalid --vm.discovery-interval \"\(self.vmDiscoveryInterval)\": expected a duration of at least 100ms, like 30s")
        }
        guard let window = DurationParser.seconds(self.detectionWindow), window >= 1 else {
            throw ValidationError("invalid --detection.window \"\(self.detectionWindow)\": expected a duration of at least 1s, like 30s")
        }
        _ = try self.adviceOptions.settings(config: AdviceSettings(), pageSizeBytes: 4096)
        _ = try self.detectionOptions.configuration()
        guard self.pushMaxSamplesPerSecond >= 0 && self.pushMaxSamplesPerSecond.isFinite else {
            throw ValidationError("invalid --push.max-samples-per-second \(self.pushMaxSamplesPerSecond): expected 0 (no limit) or more")
        }
        guard let retention = DurationParser.seconds(self.storageRetention), retention >= 60 else {
            throw ValidationError("invalid --storage.retention \"\(self.storageRetention)\": expected a duration of at least 1m, like 15d")
        }
        guard let retentionBytes = ByteSizeParser.bytes(self.storageRetentionSize) else {
            throw ValidationError("invalid --storage.retention.size \"\(self.storageRetentionSize)\": expected a size like 2GB or 512MiB, or 0")
        }
        guard retentionBytes == 0 || retentionBytes >= 1 << 20 else {
            throw ValidationError("invalid --storage.retention.size \"\(self.storageRetentionSize)\": at least 1MiB, or 0 for no cap")
        }
        let address: ListenAddress
        do { address = try ListenAddress(parsing: self.listenAddress) } catch { throw ValidationError("\(error)") }
        guard self.telemetryPath.hasPrefix("/") else {
            throw ValidationError("invalid --web.telemetry-path \"\(self.telemetryPath)\": must start with /")
        }
        return Settings(intervalSeconds: interval, detectionWindowSeconds: window,
                        retentionSeconds: retention, retentionBytes: retentionBytes == 0 ? nil : retentionBytes, address: address,
                        vmDiscoverySeconds: vmDiscovery)
    }

    func validate() throws {
        _ = try self.settings()
    }

    /// Loads the config file and its push token; a problem names the file and line.
    static func load(_ options: CollectionOptions) throws -> (config: DaemonConfig, pushToken: String?) {
        let config = try options.loadConfig()
        return (config, try config.push.loadToken())
    }

    func run() async throws {
        let logger = self.logging.bootstrap()
        let settings = try self.settings()
        let (config, pushToken): (DaemonConfig, String?)
        do {
            (config, pushToken) = try Self.load(self.collection)
        } catch {
            logger.critical("invalid config", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }
        // First, so that what start-up maps from here on is only what it touches (FaultAround); the descriptor stays
        // open for the daemon's life.
        let faultAround = self.releaseCodePages ? FaultAround.turnOff(logger: logger) : nil
        if let faultAround {
            logger.info("fault-around off for the daemon's code and libraries", metadata: [
                "registered_bytes": "\(faultAround.registeredBytes)", "registered_ranges": "\(faultAround.registeredRanges)",
                "refused_ranges": "\(faultAround.refusedRanges)"])
        }
        // Trapped before anything starts, so `systemctl reload` during start-up cannot kill the daemon.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        CachedFileReader.raiseDescriptorLimit()
        let pageSizeBytes = Double(sysconf(Int32(_SC_PAGESIZE)))
        let live = LiveConfig(config, pushToken: pushToken)

        // The VM pollers come first: the sweep's VM collector (last in the sweep) reads what they publish.
        let vmServices = VMServices(
            qmpSockets: self.collection.qmpSockets, libvirtURI: self.collection.libvirtURI, settings: config.vms,
            enabled: self.collection.vm, pollInterval: .milliseconds(Int64(max(1, settings.intervalSeconds) * 1000)),
            rediscoveryInterval: settings.vmDiscoveryInterval, logger: logger)
        let reader = CachedFileReader(keepOpen: self.collection.keepFilesOpen)
        let runner = SweepRunnerBox(SweepRunner(collectors: self.collection.makeCollectors(config: config, reader: reader, vm: vmServices),
                                                reader: reader, logger: logger))
        let publisher = SweepPublisher(logger: logger)
        let clockWatch = ClockWatch(logger: logger)
        var sampler = Sampler(runner: runner, publisher: publisher, interval: settings.interval, clock: ContinuousClock(),
                              clockWatch: clockWatch, logger: logger)
        if self.releaseCodePages {
            sampler.afterStartup = {
                guard let outcome = CodePageRelease.release(logger: logger, libraries: faultAround != nil) else { return }
                logger.info("released start-up code pages", metadata: [
                    "released_bytes": "\(outcome.releasedBytes)", "still_cached_bytes": "\(outcome.stillCachedBytes)",
                    "library_bytes": "\(outcome.libraryBytes)", "data_bytes": "\(outcome.dataBytes)"])
            }
        }
        let reloads = ConfigReloadStatus(configs: Set([self.collection.config.map { _ in .daemon }, self.webConfigFile.map { _ in .web }]
            .compactMap { $0 }))

        // History: opened first, so a file that is not ours stops start-up with its name before anything runs.
        let database: HistoryDatabase
        do {
            database = try HistoryDatabase(directory: self.storagePath)
        } catch {
            logger.critical("cannot open the history file", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }
        let history = HistoryReader(database: database)
        let writer = HistoryWriter(database: database,
                                   retention: HistoryRetention(maxAgeSeconds: settings.retentionSeconds, maxBytes: settings.retentionBytes),
                                   logger: logger)
        let learned = Self.learnedState(history: history, storagePath: self.storagePath, logger: logger)

        // The sweep's consumers, each on its own stream.
        let advice = HostMemoryAdvice(settings: try self.adviceOptions.settings(config: config.advice, pageSizeBytes: UInt64(pageSizeBytes)),
                                      state: learned.advice)
        // Detection reads each window's samples once, when it closes; a few windows back is all it can ask for,
        // and an hour of pushed samples was most of the daemon's memory under load.
        let recorder = LatencyRecorder(retentionSeconds: max(300, 4 * settings.detectionWindowSeconds), uptime: BootClock.seconds)
        recorder.declare(groups: config.groups)
        recorder.setSink { writer.enqueue(.samples($0)) }
        let engine = DetectionEngine(
            groups: config.detectionGroups, windowSeconds: settings.detectionWindowSeconds, recorder: recorder,
            baselines: learned.baselines, pageSizeBytes: pageSizeBytes,
            detectorConfiguration: try self.detectionOptions.configuration(), logger: logger,
            onStep: { step, baselines in
                writer.enqueue(.step(step))
                if let data = try? JSONEncoder().encode(baselines) {
                    writer.enqueue(.state(key: HistoryService.baselinesKey, value: data, atSeconds: step.endSeconds))
                }
            })
        writer.enqueue(.run(engine.run(startedAtSeconds: Date().timeIntervalSince1970)))
        var historyService = HistoryService(writer: writer, sweeps: publisher.subscribe("history"), advice: advice, logger: logger)
        let detection = DetectionService(engine: engine, advice: advice, sweeps: publisher.subscribe("detection"), logger: logger)
        let latency = LatencyServices(groups: config.groups, recorder: recorder, logger: logger)

        // Alerts: the log always; webhooks and Alertmanagers from the config and --alertmanager.url.
        let counters = NotificationCounters()
        let external = self.externalURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            ?? "http://\(ProcessInfo.processInfo.hostName):\(settings.address.port)"
        let generatorURL: @Sendable (Alert) -> String = { alert in
            guard let group = alert.labels["group"] else { return external + "/" }
            let from = Int64(alert.activeSinceSeconds - 600)
            return external + "/api/v1/report?from=\(from)&group=\(group.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? group)&format=html"
        }
        let alertSinks: [any AlertSink & Service]
        do {
            alertSinks = try Self.alertSinks(config: config, extraAlertmanagers: self.alertmanagerURLs, counters: counters,
                                             generatorURL: generatorURL, logger: logger)
        } catch {
            logger.critical("invalid config", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }
        let alertEngine = AlertEngine(rules: config.alerts.rules, serverWorkloads: config.serverWorkloads, pageSizeBytes: pageSizeBytes,
                                      sinks: [LogAlertSink(logger: logger, counters: counters)] + alertSinks,
                                      onTransitions: { for transition in $0 { writer.enqueue(.alert(transition)) } })
        let alertService = AlertService(engine: alertEngine, detection: engine, advice: advice, sweeps: publisher.subscribe("alerts"))

        // One sweep before serving, so the first scrape already has data (VMs included: one bounded read first).
        await vmServices.readAllOnce(within: .seconds(3))
        sampler.sweepOnce()
        // The first scrape shows the advice and alert state of that first sweep too: both take it here, before their
        // services start (each ignores a sweep it has already seen when the stream hands it over again).
        let first = publisher.latest.current.sweep
        advice.record(first)
        alertEngine.evaluate(first, verdicts: [], advice: advice.recommendation())

        var intake = PushIntake(recorder: recorder, servers: { PushIntake.servers(of: live.current.groups) },
                                token: { live.pushToken })
        if self.pushMaxSamplesPerSecond > 0 {
            let monotonic = ContinuousClock(), started = monotonic.now
            intake.limit = PushRateLimit(samplesPerSecond: self.pushMaxSamplesPerSecond, now: {
                let elapsed = monotonic.now - started
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            })
        }
        let push = intake
        let renderer = SweepRenderer(version: InterferenceWatchCommand.version, pageSizeBytes: UInt64(pageSizeBytes))
        let web: LiveWebConfig
        do {
            web = try LiveWebConfig(try self.webConfigFile.map { try WebConfig.load(path: $0) })
        } catch {
            logger.critical("invalid web config", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }
        // Every check that can stop start-up is behind: from here on the run ends through the service group.
        let marker = Self.shutdownMarker(database: database, logger: logger)
        historyService.marker = marker
        let router = HTTPRoutes.makeRouter(.init(
            latest: publisher.latest, renderer: renderer, telemetryPath: self.telemetryPath,
            extraFamilies: {
                recorder.families() + engine.families() + advice.families() + publisher.families() + writer.families()
                    + (marker?.families() ?? []) + clockWatch.families() + reloads.families()
                    + (push.limit?.families() ?? [])
                    + alertEngine.families(counters: counters)
            },
            engine: engine, advice: advice, push: push, history: history, alerts: alertEngine,
            calibration: CalibrationIntake(advice: advice, store: { HistoryService.store($0, advice: advice, writer: writer) }),
            exposition: ExpositionCache(reuse: self.reuseExposition), web: web, token: { live.pushToken }))
        let address = settings.address
        let app = Application(
            router: router,
            server: HTTPServerBuilder { responder in ReloadableTLSChannel(base: HTTP1Channel(responder: responder), web: web) },
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress.map { "\($0.ipAddress ?? address.host):\($0.port ?? address.port)" } ?? "\(address)"
                logger.info("listening", metadata: ["web.address": "\(bound)", "web.telemetry_path": "\(self.telemetryPath)"])
            },
            logger: logger
        )
        let collection = self.collection
        let webConfigFile = self.webConfigFile
        let reloader = ConfigReloader(
            signals: hangups, path: collection.config, logger: logger,
            onHangup: {
                guard let webConfigFile else { return }
                do {
                    try web.reload(path: webConfigFile)
                    reloads.record(.web, success: true)
                    logger.info("web config reloaded", metadata: ["file.path": "\(webConfigFile)"])
                } catch {
                    reloads.record(.web, success: false)
                    logger.error("web config reload failed, keeping the running one", metadata: ["error": "\(error)", "file.path": "\(webConfigFile)"])
                }
            },
            load: { path in
                var options = collection
                options.config = path
                return try Self.load(options).config
            },
            apply: { config in
                let token = (try? config.push.loadToken()) ?? nil
                if config.vms != live.current.vms {
                    logger.warning("qmp and libvirt changes take effect after a restart; the rest of the config is reloaded")
                }
                live.replace(with: config, pushToken: token)
                runner.withRunner { $0.replaceCollectors { collection.makeCollectors(config: config, reader: $0, vm: vmServices) } }
                recorder.declare(groups: config.groups)
                engine.reconfigure(groups: config.detectionGroups)
                latency.reconfigure(groups: config.groups)
                alertEngine.reconfigure(rules: config.alerts.rules, serverWorkloads: config.serverWorkloads)
                if config.alerts.alertmanagers != live.current.alerts.alertmanagers || config.alerts.webhooks != live.current.alerts.webhooks {
                    logger.warning("alert sink changes take effect after a restart; the rules are reloaded")
                }
            },
            status: reloads)
        logger.info("starting", metadata: [
            "version": "\(InterferenceWatchCommand.version)", "collectors": "\(runner.withRunner { $0.collectorNames }.joined(separator: ","))",
            "collection.interval": "\(self.interval)", "path.procfs": "\(self.collection.paths.procfs)",
            "path.cgroupfs": "\(self.collection.paths.cgroupfs)",
        ])
        // In dependency order: each service may use those before it; shutdown runs in reverse.
        // History comes before its producers, so at shutdown it stops after them and writes what they queued.
        let services: [any Service] = [FreePageReleaser(clock: ContinuousClock()), vmServices, sampler, historyService, detection]
            + alertSinks + [alertService, latency, reloader, app]
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("stopped")
    }

    /// Leaves this run's marker in the store, and says once when the previous run did not stop cleanly; `nil` (and
    /// an error logged) when the store cannot take the marker, which does not stop the daemon.
    static func shutdownMarker(database: HistoryDatabase, logger: Logger) -> ShutdownMarker? {
        let marker: ShutdownMarker
        do {
            marker = try ShutdownMarker(database: database, startedAtSeconds: Date().timeIntervalSince1970)
        } catch {
            logger.error("cannot mark the run in the history file; an unclean stop will go unnoticed",
                         metadata: ["file.path": "\(database.path)", "error": "\(error)"])
            return nil
        }
        if let unclean = marker.uncleanStop {
            logger.warning("the previous run did not stop cleanly (killed or crashed): history holds what it committed, up to its last sweep", metadata: [
                "file.path": "\(database.path)",
                "last_sweep.time": "\(unclean.lastSweepSeconds.map(TimeExpression.format) ?? "none")",
                "previous_run.started": "\(unclean.startedAtSeconds.map(TimeExpression.format) ?? "unknown")",
            ])
        }
        return marker
    }

    /// Baselines and advisor history a previous run left in the store; the pre-history `baselines.json` is read
    /// once when the store has none. A record that does not decode is logged and skipped, never fatal.
    static func learnedState(history: HistoryReader, storagePath: String, logger: Logger)
        -> (baselines: [String: [String: ServerBaseline]], advice: MinimumHostMemoryAdvisor.State) {
        var baselines: [String: [String: ServerBaseline]] = [:]
        var advice = MinimumHostMemoryAdvisor.State()
        do {
            baselines = try history.state([String: [String: ServerBaseline]].self, key: HistoryService.baselinesKey)
                ?? BaselineStore(path: storagePath + "/baselines.json", logger: logger).load()
        } catch {
            logger.warning("stored baselines unreadable, learning them again", metadata: ["error": "\(error)"])
        }
        do {
            advice = try history.state(MinimumHostMemoryAdvisor.State.self, key: HistoryService.adviceStateKey) ?? .init()
        } catch {
            logger.warning("stored advice history unreadable, starting it again", metadata: ["error": "\(error)"])
        }
        return (baselines, advice)
    }

    /// The webhook and Alertmanager sinks of a config, plus `--alertmanager.url`; auth and CA files are read here.
    static func alertSinks(config: DaemonConfig, extraAlertmanagers: [String], counters: NotificationCounters,
                           generatorURL: @escaping @Sendable (Alert) -> String, logger: Logger) throws -> [any AlertSink & Service] {
        var sinks: [any AlertSink & Service] = []
        let file = config.file
        for webhook in config.alerts.webhooks {
            let secret = try webhook.secretFile.map {
                Array(try SecretFile.read($0, key: "alerts.webhooks.secret_file", file: file, line: webhook.line).utf8)
            }
            sinks.append(WebhookSink(url: webhook.url, secret: secret, counters: counters, generatorURL: generatorURL, logger: logger))
        }
        var targets = try config.alerts.alertmanagers.map { try AlertmanagerSink.target($0, file: file) }
        for url in extraAlertmanagers {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ConfigError(file: "--alertmanager.url", line: 0, message: "\"\(url)\" is not an http(s) URL")
            }
            targets.append(.init(url: url.hasSuffix("/") ? String(url.dropLast()) : url, authorization: nil, client: .shared))
        }
        if !targets.isEmpty {
            sinks.append(AlertmanagerSink(targets: targets, resendInterval: .seconds(Int64(config.alerts.resendIntervalSeconds)),
                                          generatorURL: generatorURL, counters: counters, logger: logger))
        }
        return sinks
    }
}
