import Detectors
import Foundation
import Logging

/// Persists each server's learned calm-host baseline, so a restart does not forget what "normal" was.
///
/// One JSON file, `<storage.path>/baselines.json`, written atomically (temporary file and rename): a crash mid-write
/// leaves the previous file. A file that does not decode is moved aside (`.corrupt-<time>`), never overwritten.
struct BaselineStore: Sendable {
    let path: String
    let logger: Logger

    /// Group name to server name to baseline.
    typealias Baselines = [String: [String: ServerBaseline]]

    func load() -> Baselines {
        guard FileManager.default.fileExists(atPath: self.path) else { return [:] }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: self.path))
            return try JSONDecoder().decode(Baselines.self, from: data)
        } catch {
            let aside = self.path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
            try? FileManager.default.moveItem(atPath: self.path, toPath: aside)
            self.logger.error("baseline file unreadable, starting fresh", metadata: [
                "file.path": "\(self.path)", "moved.to": "\(aside)", "error": "\(error)",
            ])
            return [:]
        }
    }

    func save(_ baselines: Baselines) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = try encoder.encode(baselines)
            let directory = (self.path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: self.path), options: .atomic)
        } catch {
            self.logger.warning("cannot save baselines", metadata: ["file.path": "\(self.path)", "error": "\(error)"])
        }
    }
}
