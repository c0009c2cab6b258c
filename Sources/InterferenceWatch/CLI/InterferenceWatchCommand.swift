import ArgumentParser

@main
struct InterferenceWatchCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "interference-watch",
        abstract: "Watches memory interference among co-located VMs, containers and servers, and exports it for Prometheus.",
        version: Self.version,
        subcommands: [RunCommand.self, ReplayCommand.self, ReportCommand.self, RecommendCommand.self, CalibrateCommand.self, CalibrationAllocatorCommand.self, CheckConfigCommand.self, BenchCommand.self, StoreBenchCommand.self],
        defaultSubcommand: RunCommand.self
    )

    /// Tunes malloc before any thread exists (``MallocTuning``), then parses the command line and runs it.
    static func main() async {
        MallocTuning.apply()
        await Self.main(nil)
    }
}
