import ArgumentParser
import Detectors
import Foundation
import Glibc

/// `interference-watch recommend`: the host-RAM advice from the history store, as the daemon last saved it
/// (at most a minute old while it runs).
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend", abstract: "Print the recommended host RAM, per workload, with the knee, confidence and reasons.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(name: .customLong("storage.path"), help: "Directory of the history file.")
    var storagePath = "/var/lib/interference-watch"

    @Option(help: "text or json (the JSON of GET /api/v1/advice).")
    var format: Format = .text

    @Option(name: .customLong("config"), help: "The daemon's config file, for its advice section (balloon floors).")
    var config: String?

    @OptionGroup var adviceOptions: AdviceOptions

    func run() throws {
        let database: HistoryDatabase
        do { database = try HistoryDatabase(directory: self.storagePath, create: false) } catch { throw CommandFailure("\(error)") }
        let state: MinimumHostMemoryAdvisor.State?
        do {
            state = try HistoryReader(database: database).state(MinimumHostMemoryAdvisor.State.self, key: HistoryService.adviceStateKey)
        } catch {
            throw CommandFailure("the stored advice in \(self.storagePath)/history.sqlite is unreadable: \(error)")
        }
        var adviceConfig = AdviceSettings()
        if let config = self.config {
            do { adviceConfig = try DaemonConfig.load(path: config).advice } catch { throw CommandFailure("\(error)") }
        }
        adviceConfig.capacityCgroup = state?.scope
        let settings = try self.adviceOptions.settings(config: adviceConfig, pageSizeBytes: UInt64(sysconf(Int32(_SC_PAGESIZE))))
        let advice = state.flatMap { MinimumHostMemoryAdvisor(settings: settings, state: $0).recommendation() }
        switch self.format {
        case .json:
            let document = HostMemoryAdvice.AdviceDocument(generatedAt: Date().timeIntervalSince1970, advice: advice, calibrating: false)
            FileHandle.standardOutput.write(try APIJSON.encode(document))
            FileHandle.standardOutput.write(Data("\n".utf8))
        case .text:
            guard let advice else {
                throw CommandFailure("no advice in \(self.storagePath)/history.sqlite yet: the daemon saves it a minute after it starts")
            }
            FileHandle.standardOutput.write(Data(advice.text.utf8))
        }
    }
}
