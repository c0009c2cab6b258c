import ArgumentParser
import Detectors
import Foundation

/// `interference-watch replay`: runs stored sweeps and latency through the detectors and prints the findings.
///
/// With no `--config` each recorded run replays with the groups, window and baselines it had, which reproduces what
/// the daemon found live; with a config it shows what that config would have found.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", abstract: "Replay stored history through the detectors and print the findings.")

    @Option(name: .customLong("storage.path"), help: "Directory of the history file.")
    var storagePath = "/var/lib/interference-watch"

    @Option(help: "Start: RFC 3339, Unix seconds, or a duration ago (2h ago).")
    var from: String

    @Option(help: "End (default now).")
    var to = "now"

    @Option(name: .customLong("config"), help: "Replay with this config's groups instead of the recorded ones.")
    var config: String?

    @Option(name: .customLong("detection.window"), help: "Window length instead of the recorded one (e.g. 30s).")
    var detectionWindow: String?

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    @OptionGroup var detectionOptions: DetectionOptions

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    struct Output: Encodable {
        var from: Double
        var to: Double
        var windows: Int
        var events: [Event]
        var findingsAtEnd: [Finding]

        struct Event: Encodable {
            var atSeconds: Double
            var change: String
            var finding: Finding
        }
    }

    func run() throws {
        let (from, to) = try TimeRangeOptions.parse(from: self.from, to: self.to)
        let database: HistoryDatabase
        do { database = try HistoryDatabase(directory: self.storagePath, create: false) } catch {
            throw CommandFailure("\(error)")
        }
        var replay = HistoryReplay(reader: HistoryReader(database: database))
        replay.configuration = try self.detectionOptions.configuration()
        if let config = self.config {
            do { replay.groups = try DaemonConfig.load(path: config).detectionGroups } catch { throw ValidationError("\(error)") }
        }
        if let window = self.detectionWindow {
            guard let seconds = DurationParser.seconds(window), seconds >= 1 else {
                throw ValidationError("invalid --detection.window \"\(window)\": expected a duration of at least 1s")
            }
            replay.windowSeconds = seconds
        }
        let steps = try replay.steps(from: from, to: to)
        var events: [Output.Event] = []
        for step in steps {
            for finding in step.changes.opened { events.append(.init(atSeconds: step.endSeconds, change: "opened", finding: finding)) }
            for finding in step.changes.changed { events.append(.init(atSeconds: step.endSeconds, change: "changed", finding: finding)) }
            for finding in step.changes.resolved { events.append(.init(atSeconds: step.endSeconds, change: "resolved", finding: finding)) }
        }
        let output = Output(from: from, to: to, windows: steps.count, events: events,
                            findingsAtEnd: steps.last?.verdicts.flatMap(\.findings) ?? [])
        switch self.format {
        case .json:
            print(String(decoding: try APIJSON.encode(output), as: UTF8.self))
        case .text:
            print("replayed \(steps.count) windows from \(TimeExpression.format(from)) to \(TimeExpression.format(to))")
            for event in events {
                let f = event.finding
                print("\(TimeExpression.format(event.atSeconds))  \(event.change.padding(toLength: 8, withPad: " ", startingAt: 0)) "
                      + "\(f.kind.rawValue) \(f.group)/\(f.server ?? "*") ratio \(String(format: "%.2f", f.ratio)) "
                      + "cause \(f.causes.first?.signal ?? "unknown"): \(f.causes.first?.summary ?? "no cause named")")
            }
            let open = output.findingsAtEnd
            print(open.isEmpty ? "no finding open at the end" : "open at the end: " + open.map { "\($0.kind.rawValue) \($0.group)/\($0.server ?? "*")" }.joined(separator: ", "))
        }
    }
}

/// `--from` / `--to` as the history commands take them.
enum TimeRangeOptions {
    static func parse(from: String, to: String) throws -> (Double, Double) {
        guard let start = TimeExpression.seconds(from) else {
            throw ValidationError("invalid --from \"\(from)\": expected RFC 3339, Unix seconds or a duration ago like \"2h ago\"")
        }
        guard let end = TimeExpression.seconds(to) else {
            throw ValidationError("invalid --to \"\(to)\": expected RFC 3339, Unix seconds, \"now\" or a duration ago")
        }
        guard start < end else { throw ValidationError("--from must be before --to") }
        return (start, end)
    }
}
