import ArgumentParser
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

    func validate() throws {
        guard let seconds = DurationParser.seconds(self.interval), seconds >= 0.1 else {
            throw ValidationError("invalid --collection.interval \"\(self.interval)\": expected a duration of at least 100ms, like 5s or 1m")
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
        let reader = CachedFileReader(keepOpen: self.collection.keepFilesOpen)
        let runner = SweepRunner(collectors: self.collection.makeCollectors(config: config, reader: reader),
                                 reader: reader, logger: logger)
        let store = SnapshotStore()
        let seconds = DurationParser.seconds(self.interval)!
        let sampler = Sampler(runner: SweepRunnerBox(runner), store: store,
                              interval: .milliseconds(Int64(seconds * 1000)), logger: logger)
        // One sweep before serving, so the first scrape already has data.
        sampler.sweepOnce()

        let address = try ListenAddress(parsing: self.listenAddress)
        let renderer = SnapshotRenderer(version: InterferenceWatchCommand.version, pageSizeBytes: UInt64(sysconf(Int32(_SC_PAGESIZE))))
        let router = HTTPRoutes.makeRouter(store: store, renderer: renderer, telemetryPath: self.telemetryPath)
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
            services: [.init(service: sampler), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("stopped")
    }
}
