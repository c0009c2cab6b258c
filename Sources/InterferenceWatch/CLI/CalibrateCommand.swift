import ArgumentParser
import Detectors
import Dispatch
import Foundation
import Glibc
import Logging
import NIOCore

/// `interference-watch calibrate`: finds the host's knee by raising memory pressure in steps (see ``Calibrator``).
///
/// Beside a running daemon (`--daemon.url`) it uses that daemon's groups and detection; alone it starts a daemon of
/// its own on a loopback port with `--config` and stops it afterwards. The result goes into the daemon's history and
/// advice, and is printed.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate", abstract: "Find this host's memory knee by raising memory pressure step by step (safely).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(name: .customLong("daemon.url"), help: "A running daemon's URL (e.g. http://127.0.0.1:9879); without it a daemon is started.")
    var daemonURL: String?

    @Option(name: .customLong("bearer-token-file"), help: "File with the daemon's push.bearer_token (needed when it has one).")
    var bearerTokenFile: String?

    @Option(name: .customLong("config"), help: "Alone: the config file (its groups are measured).")
    var config: String?

    @Option(name: .customLong("storage.path"), help: "Alone: the history directory the started daemon keeps.")
    var storagePath = "/var/lib/interference-watch"

    @Option(name: .customLong("capacity.cgroup"), help: "Alone: size against this cgroup's limit (as for run).")
    var capacityCgroup: String?

    @Option(name: .customLong("collection.interval"), help: "Alone: the started daemon's sweep interval.")
    var collectionInterval = "1s"

    @Option(name: .customLong("detection.window"), help: "Alone: the started daemon's detection window.")
    var detectionWindow = "10s"

    @Option(help: "Memory added per step (like one stress -m worker).")
    var step = "256MiB"

    @Option(help: "Hard ceiling on the allocated memory (default: the installed size, or the capacity cgroup's limit).")
    var max: String?

    @Option(help: "Available memory plus free swap that is never eaten into.")
    var reserve = "256MiB"

    @Option(help: "Detection windows measured per step.")
    var windows = 3

    @Option(name: .customLong("time-limit"), help: "The whole calibration ends by then, whatever its state.")
    var timeLimit = "30m"

    @Option(name: .customLong("baseline-wait"), help: "Longest wait for every group's latency baseline before the first step.")
    var baselineWait = "5m"

    @Option(help: "A step whose median task time reaches this multiple of the calm step's is the knee (as a finding is).")
    var slowdown = 1.25

    @Option(name: .customLong("path.cgroupfs"), help: "cgroup root the allocator cgroup is made under.")
    var cgroupfs = "/sys/fs/cgroup"

    @Option(name: .customLong("path.procfs"), help: "procfs mount point.")
    var procfs = "/proc"

    @Flag(name: .customLong("dry-run"), help: "Print the plan and touch nothing.")
    var dryRun = false

    @Option(help: "text or json.")
    var format: Format = .text

    @Option(help: "File to write the result to (default: standard output).")
    var output: String?

    @OptionGroup var logging: LoggingOptions

    func options() throws -> Calibrator.Options {
        var options = Calibrator.Options()
        guard let step = ByteSizeParser.bytes(self.step), step >= 1 << 20 else {
            throw ValidationError("invalid --step \"\(self.step)\": expected a size of at least 1MiB, like 256MiB")
        }
        options.stepBytes = UInt64(step)
        if let max = self.max {
            guard let bytes = ByteSizeParser.bytes(max), bytes >= step else {
                throw ValidationError("invalid --max \"\(max)\": expected a size of at least one step, like 4GiB")
            }
            options.ceilingBytes = UInt64(bytes)
        }
        guard let reserve = ByteSizeParser.bytes(self.reserve) else {
            throw ValidationError("invalid --reserve \"\(self.reserve)\": expected a size like 256MiB")
        }
        options.reserveBytes = UInt64(reserve)
        guard (1...100).contains(self.windows) else { throw ValidationError("invalid --windows \(self.windows): expected 1 to 100") }
        options.windowsPerStep = self.windows
        guard let limit = DurationParser.seconds(self.timeLimit), limit >= 10 else {
            throw ValidationError("invalid --time-limit \"\(self.timeLimit)\": expected a duration of at least 10s, like 30m")
        }
        options.timeLimitSeconds = limit
        guard let wait = DurationParser.seconds(self.baselineWait) else {
            throw ValidationError("invalid --baseline-wait \"\(self.baselineWait)\": expected a duration like 5m")
        }
        options.baselineWaitSeconds = wait
        guard self.slowdown > 1 else { throw ValidationError("invalid --slowdown \(self.slowdown): expected a ratio above 1, like 1.25") }
        options.slowdownRatio = self.slowdown
        options.cgroupRoot = self.cgroupfs
        options.procfs = self.procfs
        options.executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return options
    }

    func validate() throws {
        _ = try self.options()
        if self.daemonURL == nil && self.config == nil && !self.dryRun {
            throw ValidationError("give --daemon.url of a running daemon, or --config to start one (its groups are what is measured)")
        }
    }

    func run() async throws {
        let logger = self.logging.bootstrap()
        let options = try self.options()
        var token: String?
        if let file = self.bearerTokenFile {
            do { token = try SecretFile.read(file, key: "--bearer-token-file", file: file, line: 0) } catch { throw CommandFailure("\(error)") }
        }
        var daemon: Process?
        let url: String
        if let given = self.daemonURL {
            url = given.hasSuffix("/") ? String(given.dropLast()) : given
        } else {
            (daemon, url) = try await self.startDaemon(logger: logger)
        }
        defer {
            if let daemon, daemon.isRunning {
                kill(daemon.processIdentifier, SIGTERM)
                daemon.waitUntilExit()
            }
        }
        let calibrator = Calibrator(api: DaemonAPIClient(baseURL: url, token: token), options: options, logger: logger)
        let plan: CalibrationPlan
        do { plan = try await calibrator.plan() } catch { throw CommandFailure("\(error)") }
        if self.dryRun {
            try self.write(self.format == .json ? APIJSON.encode(plan) : Data(plan.text.utf8))
            return
        }
        // SIGINT and SIGTERM release the allocators at once; the loop then reports what it measured.
        var signals: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { calibrator.stop(reason: "signal") }
            source.resume()
            signals.append(source)
        }
        let result: CalibrationResult
        do { result = try await calibrator.run(plan) } catch { throw CommandFailure("\(error)") }
        try self.write(self.format == .json ? APIJSON.encode(result) : Data(result.text.utf8))
        if result.stopReason == "signal" { throw ExitCode(130) }
        _ = signals
    }

    private func write(_ data: Data) throws {
        if let output = self.output {
            do { try data.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                throw CommandFailure("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(data)
            if data.last != UInt8(ascii: "\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
        }
    }

    /// Starts `interference-watch run` on a free loopback port and waits until its advice answers.
    private func startDaemon(logger: Logger) async throws -> (Process, String) {
        let port = LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try self.options().executable)
        var arguments = ["run", "--web.listen-address", "127.0.0.1:\(port)", "--storage.path", self.storagePath,
                         "--collection.interval", self.collectionInterval, "--detection.window", self.detectionWindow]
        if let config = self.config { arguments += ["--config", config] }
        if let capacity = self.capacityCgroup { arguments += ["--capacity.cgroup", capacity] }
        arguments += ["--path.cgroupfs", self.cgroupfs, "--path.procfs", self.procfs]
        process.arguments = arguments
        do { try process.run() } catch { throw CommandFailure("cannot start the daemon: \(error.localizedDescription)") }
        let url = "http://127.0.0.1:\(port)"
        let api = DaemonAPIClient(baseURL: url, token: nil, timeout: .seconds(2))
        struct Reply: Decodable { struct Advice: Decodable { var installedBytes: UInt64 }; var advice: Advice? }
        for _ in 0..<120 {
            guard process.isRunning else { throw CommandFailure("the started daemon exited with status \(process.terminationStatus)") }
            if let reply = try? await api.get("/api/v1/advice", as: Reply.self), reply.advice != nil {
                logger.info("started a daemon for the calibration", metadata: ["url": "\(url)", "pid": "\(process.processIdentifier)"])
                return (process, url)
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        kill(process.processIdentifier, SIGTERM)
        throw CommandFailure("the started daemon did not answer on \(url) within 30 s")
    }
}
