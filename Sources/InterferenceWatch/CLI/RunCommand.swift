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

    func validate() throws {
        guard let seconds = DurationParser.seconds(self.interval), seconds >= 0.1 else {
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
        do { _ = try ListenAddress(parsing: self.listenAddress) } catch { throw ValidationError("\(error)") }
        guard self.telemetryPath.hasPrefix("/") else {
            throw ValidationError("invalid --web.telemetry-path \"\(self.telemetryPath)\": must start with /")
        }
    }

    func run() async throws {
        let logger = self.logging.bootstrap()
        let config: DaemonConfig
        do {
            config = try self.collection.loadConfig()
        } catch let error as ConfigError {
            logger.critical("invalid config", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }
        CachedFileReader.raiseDescriptorLimit()
        // Each scrape builds a multi-megabyte exposition. glibc raises its mmap threshold after the first such buffer
        // is freed, so later ones come from the heap and their pages stay resident; pinning the threshold at 1 MiB
        // (M_MMAP_THRESHOLD, a macro Swift does not import) returns every large buffer to the kernel when freed.
        _ = mallopt(-3, 1 << 20)
        let reader = CachedFileReader(keepOpen: self.collection.keepFilesOpen)
        // BEGIN VM collectors (Daemon/VMServices.swift): the QMP and libvirt pollers run as one service; their
        // collector is appended last to the sweep (it joins VMs to the processes and workloads found before it).
        let vmServices = VMServices(
            qmpSockets: self.collection.qmpSockets, libvirtURI: self.collection.libvirtURI, settings: config.vms,
            enabled: self.collection.vm,
            pollInterval: .milliseconds(Int64(max(1, DurationParser.seconds(self.interval)!) * 1000)), logger: logger)
        // END VM collectors
        let runner = SweepRunner(collectors: self.collection.makeCollectors(config: config, reader: reader, vm: vmServices),
                                 reader: reader, logger: logger)
        let store = SnapshotStore()
        let seconds = DurationParser.seconds(self.interval)!
        // Minimum host RAM advice: every published snapshot's demand (used + swapped + ballooned).
        let advice = HostMemoryAdvice(settings: .init(windowSeconds: DurationParser.seconds(self.adviceWindow)!,
                                                      headroomFraction: self.adviceHeadroom))
        let sampler = Sampler(runner: SweepRunnerBox(runner), store: store,
                              interval: .milliseconds(Int64(seconds * 1000)), logger: logger,
                              onPublish: { advice.record($0) })
        // One sweep before serving, so the first scrape already has data (VMs included: one bounded read first).
        await vmServices.readAllOnce(within: .seconds(3))
        sampler.sweepOnce()

        let address = try ListenAddress(parsing: self.listenAddress)
        let renderer = SnapshotRenderer(version: InterferenceWatchCommand.version, pageSizeBytes: UInt64(sysconf(Int32(_SC_PAGESIZE))))
        // Latency and detection: recorded samples per group, one detector per group, findings over HTTP.
        let recorder = LatencyRecorder()
        recorder.declare(groups: config.groups)
        let engine = DetectionEngine(
            config: config, recorder: recorder, store: store,
            baselineStore: BaselineStore(path: self.storagePath + "/baselines.json", logger: logger),
            pageSizeBytes: Double(sysconf(Int32(_SC_PAGESIZE))), logger: logger)
        let detectionWindow = Duration.milliseconds(Int64(DurationParser.seconds(self.detectionWindow)! * 1000))
        var latencyServices: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if !config.groups.isEmpty {
            latencyServices.append(.init(service: DetectionService(engine: engine, window: detectionWindow, logger: logger)))
        }
        for group in config.groups {
            if group.probe != nil {
                latencyServices.append(.init(service: ProbeRunner(group: group, recorder: recorder, logger: logger)))
            }
            if group.servers.contains(where: { $0.scrape != nil }) {
                latencyServices.append(.init(service: HistogramScraper(group: group, recorder: recorder, logger: logger)))
            }
        }
        let pushToken: String?
        do {
            pushToken = try config.push.loadToken()
        } catch {
            logger.critical("invalid config", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }
        let router = HTTPRoutes.makeRouter(store: store, renderer: renderer, telemetryPath: self.telemetryPath,
                                           extraFamilies: { recorder.families() + engine.families() + advice.families() })
        HTTPRoutes.addDetectionRoutes(to: router, engine: engine)
        HTTPRoutes.addAdviceRoute(to: router, advice: advice)
        PushIntake.register(on: router, recorder: recorder, groups: config.groups, token: pushToken)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress.map { "\($0.ipAddress ?? address.host):\($0.port ?? address.port)" } ?? "\(address)"
                logger.info("listening", metadata: ["web.address": "\(bound)", "web.telemetry_path": "\(self.telemetryPath)"])
            },
            logger: logger
        )
        logger.info("starting", metadata: [
            "version": "\(InterferenceWatchCommand.version)", "collectors": "\(runner.collectorNames.joined(separator: ","))",
            "collection.interval": "\(self.interval)", "path.procfs": "\(self.collection.paths.procfs)",
            "path.cgroupfs": "\(self.collection.paths.cgroupfs)",
        ])
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: sampler), .init(service: app)] + latencyServices
                + [.init(service: vmServices)],  // VM collectors
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("stopped")
    }
}
