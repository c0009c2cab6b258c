import ArgumentParser
import CProc2
import Detectors
import Glibc
import Hummingbird
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

    @Option(name: .customLong("collection.interval"), help: "Time between collection sweeps (e.g. 5s, 1m).")
    var interval = "15s"

    @Option(name: .customLong("detection.window"), help: "Length of one detection window (latency and memory signals per window).")
    var detectionWindow = "30s"

    @Option(name: .customLong("storage.path"), help: "Directory for state kept across restarts (learned baselines).")
    var storagePath = "/var/lib/interference-watch"

    @Option(name: .customLong("advice.window"), help: "How far back the host-RAM advice takes its peak demand (e.g. 24h, 7d).")
    var adviceWindow = "24h"

    @Option(name: .customLong("advice.headroom"), help: "Headroom added to the peak demand, as a fraction (0.1 = 10 %).")
    var adviceHeadroom = 0.1

    /// The flags' durations and address, parsed once (``validate()`` and ``run()`` both use this).
    struct Settings {
        var intervalSeconds: Double
        var detectionWindowSeconds: Double
        var adviceWindowSeconds: Double
        var address: ListenAddress

        var interval: Duration { .milliseconds(Int64(self.intervalSeconds * 1000)) }
    }

    func settings() throws -> Settings {
        guard let interval = DurationParser.seconds(self.interval), interval >= 0.1 else {
            throw ValidationError("invalid --collection.interval \"\(self.interval)\": expected a duration of at least 100ms, like 5s or 1m")
        }
        guard let window = DurationParser.seconds(self.detectionWindow), window >= 1 else {
            throw ValidationError("invalid --detection.window \"\(self.detectionWindow)\": expected a duration of at least 1s, like 30s")
        }
        guard let advice = DurationParser.seconds(self.adviceWindow), advice >= 60 else {
            throw ValidationError("invalid --advice.window \"\(self.adviceWindow)\": expected a duration of at least 1m, like 24h")
        }
        guard self.adviceHeadroom >= 0 && self.adviceHeadroom <= 10 else {
            throw ValidationError("invalid --advice.headroom \(self.adviceHeadroom): expected a fraction from 0 to 10, like 0.1")
        }
        let address: ListenAddress
        do { address = try ListenAddress(parsing: self.listenAddress) } catch { throw ValidationError("\(error)") }
        guard self.telemetryPath.hasPrefix("/") else {
            throw ValidationError("invalid --web.telemetry-path \"\(self.telemetryPath)\": must start with /")
        }
        return Settings(intervalSeconds: interval, detectionWindowSeconds: window, adviceWindowSeconds: advice, address: address)
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
        // Trapped before anything starts, so `systemctl reload` during start-up cannot kill the daemon.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        CachedFileReader.raiseDescriptorLimit()
        // Each scrape builds a multi-megabyte exposition. glibc raises its mmap threshold after the first such buffer
        // is freed, so later ones come from the heap and their pages stay resident; pinning the threshold at 1 MiB
        // (M_MMAP_THRESHOLD, a macro Swift does not import) returns every large buffer to the kernel when freed.
        _ = mallopt(-3, 1 << 20)
        let pageSizeBytes = Double(sysconf(Int32(_SC_PAGESIZE)))
        let live = LiveConfig(config, pushToken: pushToken)

        // The VM pollers come first: the sweep's VM collector (last in the sweep) reads what they publish.
        let vmServices = VMServices(
            qmpSockets: self.collection.qmpSockets, libvirtURI: self.collection.libvirtURI, settings: config.vms,
            enabled: self.collection.vm, pollInterval: .milliseconds(Int64(max(1, settings.intervalSeconds) * 1000)),
            logger: logger)
        let reader = CachedFileReader(keepOpen: self.collection.keepFilesOpen)
        let runner = SweepRunnerBox(SweepRunner(collectors: self.collection.makeCollectors(config: config, reader: reader, vm: vmServices),
                                                reader: reader, logger: logger))
        let publisher = SweepPublisher(logger: logger)
        let sampler = Sampler(runner: runner, publisher: publisher, interval: settings.interval, clock: ContinuousClock(),
                              logger: logger)

        // The sweep's consumers, each on its own stream.
        let recorder = LatencyRecorder()
        recorder.declare(groups: config.groups)
        let engine = DetectionEngine(
            groups: config.detectionGroups, windowSeconds: settings.detectionWindowSeconds, recorder: recorder,
            baselineStore: BaselineStore(path: self.storagePath + "/baselines.json", logger: logger),
            pageSizeBytes: pageSizeBytes, logger: logger)
        let detection = DetectionService(engine: engine, sweeps: publisher.subscribe("detection"), logger: logger)
        let advice = HostMemoryAdvice(settings: .init(windowSeconds: settings.adviceWindowSeconds,
                                                      headroomFraction: self.adviceHeadroom))
        let adviceService = AdviceService(advice: advice, sweeps: publisher.subscribe("advice"))
        let latency = LatencyServices(groups: config.groups, recorder: recorder, logger: logger)

        // One sweep before serving, so the first scrape already has data (VMs included: one bounded read first).
        await vmServices.readAllOnce(within: .seconds(3))
        sampler.sweepOnce()

        let push = PushIntake(recorder: recorder, servers: { PushIntake.servers(of: live.current.groups) },
                              token: { live.pushToken })
        let renderer = SweepRenderer(version: InterferenceWatchCommand.version, pageSizeBytes: UInt64(pageSizeBytes))
        let router = HTTPRoutes.makeRouter(.init(
            latest: publisher.latest, renderer: renderer, telemetryPath: self.telemetryPath,
            extraFamilies: { recorder.families() + engine.families() + advice.families() + publisher.families() },
            engine: engine, advice: advice, push: push))
        let address = settings.address
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress.map { "\($0.ipAddress ?? address.host):\($0.port ?? address.port)" } ?? "\(address)"
                logger.info("listening", metadata: ["web.address": "\(bound)", "web.telemetry_path": "\(self.telemetryPath)"])
            },
            logger: logger
        )
        let collection = self.collection
        let reloader = ConfigReloader(
            signals: hangups, path: collection.config, logger: logger,
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
            })
        logger.info("starting", metadata: [
            "version": "\(InterferenceWatchCommand.version)", "collectors": "\(runner.withRunner { $0.collectorNames }.joined(separator: ","))",
            "collection.interval": "\(self.interval)", "path.procfs": "\(self.collection.paths.procfs)",
            "path.cgroupfs": "\(self.collection.paths.cgroupfs)",
        ])
        // In dependency order: each service may use those before it; shutdown runs in reverse.
        let services: [any Service] = [vmServices, sampler, detection, adviceService, latency, reloader, app]
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("stopped")
    }
}
