extension MinimumHostMemoryAdvisor {
    /// The advisor's learned history: one peak per bucket over the window, and the latest demand.
    ///
    /// Stored (``StoredRecord``) so the advice survives a restart; the settings are not part of it, so a restart
    /// with another window or headroom reads the same history under the new settings.
    public struct State: Sendable, Equatable, StoredRecord {
        public static let schemaVersion = 1

        /// One bucket's largest demand.
        public struct Bucket: Sendable, Equatable, Codable {
            /// `floor(time / bucketSeconds)`.
            public var index: Int64
            public var peak: HostMemoryDemand
            public var peakAtSeconds: Double
            public var firstAtSeconds: Double
        }

        /// Oldest first; indices strictly increasing.
        public var buckets: [Bucket] = []
        public var latest: HostMemoryDemand?
        public var latestAtSeconds: Double?

        public init() {}

        private enum CodingKeys: String, CodingKey { case buckets, latest, latestAtSeconds }

        public init(from decoder: any Decoder) throws {
            _ = try Self.decodeSchemaVersion(from: decoder)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.buckets = try c.decodeIfPresent([Bucket].self, forKey: .buckets) ?? []
            self.latest = try c.decodeIfPresent(HostMemoryDemand.self, forKey: .latest)
            self.latestAtSeconds = try c.decodeIfPresent(Double.self, forKey: .latestAtSeconds)
        }

        public func encode(to encoder: any Encoder) throws {
            try Self.encodeSchemaVersion(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.buckets, forKey: .buckets)
            try c.encodeIfPresent(self.latest, forKey: .latest)
            try c.encodeIfPresent(self.latestAtSeconds, forKey: .latestAtSeconds)
        }
    }
}
