/// What changed between two verdicts of the same groups: the finding lifecycle step that logs, history and alerts
/// consume.
///
/// A finding is identified by (group, server, kind): the same slow server staying slow is one finding however its
/// ratio moves. It counts as changed when its top-ranked cause changed (another signal, or another subject), which
/// is what an operator reading an alert would want to hear about; a ratio drifting is not a change.
public struct FindingChanges: Sendable, Equatable, StoredRecord {
    public static let schemaVersion = 1

    /// Findings in the new verdicts that the old ones did not have.
    public var opened: [Finding]
    /// Findings in both whose top cause changed (the new version).
    public var changed: [Finding]
    /// Findings in the old verdicts that the new ones no longer have (the last version seen).
    public var resolved: [Finding]

    public init(opened: [Finding] = [], changed: [Finding] = [], resolved: [Finding] = []) {
        self.opened = opened
        self.changed = changed
        self.resolved = resolved
    }

    /// The changes from `before` to `after`, each list in the order of the verdicts' findings.
    public init(from before: [Finding], to after: [Finding]) {
        func key(_ f: Finding) -> FindingKey { FindingKey(group: f.group, server: f.server, kind: f.kind) }
        let old = Dictionary(before.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let new = Set(after.map(key))
        self.init()
        for finding in after {
            guard let previous = old[key(finding)] else {
                self.opened.append(finding)
                continue
            }
            let was = previous.causes.first, now = finding.causes.first
            if was?.signal != now?.signal || was?.subject != now?.subject { self.changed.append(finding) }
        }
        self.resolved = before.filter { !new.contains(key($0)) }
    }

    public var isEmpty: Bool { self.opened.isEmpty && self.changed.isEmpty && self.resolved.isEmpty }

    private enum CodingKeys: String, CodingKey { case opened, changed, resolved }

    public init(from decoder: any Decoder) throws {
        _ = try Self.decodeSchemaVersion(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.opened = try c.decodeIfPresent([Finding].self, forKey: .opened) ?? []
        self.changed = try c.decodeIfPresent([Finding].self, forKey: .changed) ?? []
        self.resolved = try c.decodeIfPresent([Finding].self, forKey: .resolved) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        try Self.encodeSchemaVersion(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.opened, forKey: .opened)
        try c.encode(self.changed, forKey: .changed)
        try c.encode(self.resolved, forKey: .resolved)
    }
}
