import ArgumentParser
import Foundation

/// `interference-watch report`: a post-mortem of an episode or a time range, as HTML, Markdown or JSON.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write a post-mortem report of an imbalance episode or a time range.")

    @Option(name: .customLong("storage.path"), help: "Directory of the history file.")
    var storagePath = "/var/lib/interference-watch"

    @Option(help: "Episode id (GET /api/v1/episodes lists them).")
    var episode: Int64?

    @Option(help: "Start of the range (RFC 3339, Unix seconds, or a duration ago); with --to, instead of --episode.")
    var from: String?

    @Option(help: "End of the range (default now).")
    var to: String?

    @Option(help: "The group to report on (default: the episode's, or the one with findings in the range).")
    var group: String?

    @Option(help: "html, md or json.")
    var format: ReportFormat = .html

    @Option(help: "File to write (default: standard output).")
    var output: String?

    func validate() throws {
        if self.episode != nil && (self.from != nil || self.to != nil) {
            throw ValidationError("give --episode or --from/--to, not both")
        }
        if self.episode == nil && self.from == nil { throw ValidationError("give --episode ID or --from TIME") }
    }

    func run() throws {
        let database: HistoryDatabase
        do { database = try HistoryDatabase(directory: self.storagePath, create: false) } catch { throw CommandFailure("\(error)") }
        var from: Double?, to: Double?
        if let start = self.from { (from, to) = try TimeRangeOptions.parse(from: start, to: self.to ?? "now") }
        let report: PostMortem
        do {
            report = try PostMortemBuilder(reader: HistoryReader(database: database))
                .build(episodeID: self.episode, from: from, to: to, group: self.group, generatedAtSeconds: Date().timeIntervalSince1970)
        } catch let error as PostMortemBuilder.NotFound {
            throw CommandFailure("\(error)")
        }
        let bytes = try self.format.render(report)
        if let output = self.output {
            do { try bytes.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                throw CommandFailure("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(bytes)
        }
    }
}

/// The report formats are command-line values; the conformance lives with the commands that parse them.
extension ReportFormat: ExpressibleByArgument {}
