/// One run of the daemon's detection, as history records it when the daemon starts: replay starts from here with
/// the same groups, window and learned baselines, so it reproduces what the live engine found.
public struct DetectionRun: Sendable, Equatable, StoredRecord {
    public static let schemaVersion = 1

    public var startedAtSeconds: Double
    public var windowSeconds: Double
    public var pageSizeBytes: Double
    public var groups: [SweepDetection.Group]
    /// The calm baselines the detectors started with, by group and server.
    public var baselines: [String: [String: ServerBaseline]]

    public init(startedAtSeconds: Double, windowSeconds: Double, pageSizeBytes: Double, groups: [SweepDetection.Group],
                baselines: [String: [String: ServerBaseline]]) {
        self.startedAtSeconds = startedAtSeconds
        self.windowSeconds = windowSeconds
        self.pageSizeBytes = pageSizeBytes
        self.groups = groups
        self.baselines = baselines
    }

    private enum CodingKeys: String, CodingKey { case startedAtSeconds, windowSeconds, pageSizeBytes, groups, baselines }

    public init(from decoder: any Decoder) throws {
        _ = try Self.decodeSchemaVersion(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.startedAtSeconds = try c.decode(Double.self, forKey: .startedAtSeconds)
        self.windowSeconds = try c.decode(Double.self, forKey: .windowSeconds)
        self.pageSizeBytes = try c.decodeIfPresent(Double.self, forKey: .pageSizeBytes) ?? 4096
        self.groups = try c.decodeIfPresent([SweepDetection.Group].self, forKey: .groups) ?? []
        self.baselines = try c.decodeIfPresent([String: [String: ServerBaseline]].self, forKey: .baselines) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        try Self.encodeSchemaVersion(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.startedAtSeconds, forKey: .startedAtSeconds)
        try c.encode(self.windowSeconds, forKey: .windowSeconds)
        try c.encode(self.pageSizeBytes, forKey: .pageSizeBytes)
        try c.encode(self.groups, forKey: .groups)
        try c.encode(self.baselines, forKey: .baselines)
    }
}
