import Foundation
import GRDB
import Detectors

/// The writer's position in the sweep chain: which template and numbers the next frame is coded against.
struct SweepChain: Sendable {
    /// A keyframe at least this often, so a read never decodes more than this many frames to reach its start.
    static let keyframeEvery = 300

    private var templateIDs: [[UInt8]: Int64] = [:]
    private var previousTemplate: Int64?
    private var previousTemplateBytes: [UInt8]?
    private var previousNumbers: [SweepFrameCodec.Number]?
    private var framesSinceKeyframe = 0

    mutating func forceKeyframe() {
        self.previousNumbers = nil
        self.previousTemplate = nil
        self.previousTemplateBytes = nil
    }

    mutating func append(_ sweep: Sweep, encoder: JSONEncoder, db: Database) throws {
        var (template, numbers) = SweepJSONWriter.split(sweep)
        let templateID: Int64
        if let previous = self.previousTemplateBytes, let id = self.previousTemplate, previous == template {
            // The common case: the same names and structure as the last sweep; no hashing of the whole template.
            // The kept copy stays: the new one has the writer's spare capacity (up to twice its size).
            templateID = id
            template = previous
        } else if let known = self.templateIDs[template] {
            templateID = known
        } else {
            template = Array(template[...])  // exactly its size: it is kept until the names change
            try db.execute(sql: "INSERT INTO sweep_templates (bytes) VALUES (?)", arguments: [Data(try Zstd.compress(template))])
            templateID = db.lastInsertedRowID
            // Templates churn only when names or structure change; keep a few recent ones (each is the size of a
            // sweep's text, hundreds of KiB on a host with a thousand cgroups).
            if self.templateIDs.count >= 4 { self.templateIDs = [:] }
            self.templateIDs[template] = templateID
        }
        let keyframe = self.previousTemplate != templateID || self.previousNumbers == nil
            || self.framesSinceKeyframe >= Self.keyframeEvery
        let frame = SweepFrameCodec.encodeFrame(numbers, previous: keyframe ? nil : self.previousNumbers)
        try db.execute(sql: "INSERT INTO sweeps (at_seconds, template_id, keyframe, frame) VALUES (?, ?, ?, ?)",
                       arguments: [sweep.atSeconds, templateID, keyframe ? 1 : 0, Data(try Zstd.compress(frame))])
        self.previousTemplate = templateID
        self.previousTemplateBytes = template
        self.previousNumbers = numbers
        self.framesSinceKeyframe = keyframe ? 1 : self.framesSinceKeyframe + 1
    }
}
