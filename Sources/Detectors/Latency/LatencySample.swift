/// One latency observation of one server, from a probe round, a scraped histogram or a push.
///
/// Failures are samples too: a timed-out or failed probe is recorded with ``Outcome/timeout`` or ``Outcome/error(_:)``
/// and `seconds == 0`, never dropped, so a server that stops answering shows up as such rather than as silence.
public struct LatencySample: Sendable, Equatable, StoredRecord {
    public static let schemaVersion = 1

    public enum Source: String, Sendable, Codable, CaseIterable {
        /// Our own GET, timed from send to the last body byte.
        case probe
        /// Reconstructed from the delta of the server's own Prometheus histogram (bucket midpoints).
        case scrape
        /// Sent to `POST /api/v1/samples` by the client or the server.
        case push
    }

    public enum Outcome: Sendable, Equatable {
        case success
        case timeout
        /// A short reason: `connection refused`, `status 500`, `body larger than 1048576 bytes`.
        case error(String)
    }

    public var group: String
    public var server: String
    public var source: Source
    /// Client-observed latency (probe), or the pushed / scraped value; 0 for failures.
    public var seconds: Double
    /// The W3C `Server-Timing` `task;dur=` value converted to seconds, when the server sent one.
    public var serverSeconds: Double?
    public var outcome: Outcome
    /// Unix time the request started (probe) or the sample time (scrape, push).
    public var atSeconds: Double
    /// Unix time the daemon recorded the sample; `nil` until recorded.
    ///
    /// Detection windows take samples by this time, not by ``atSeconds``: a window closes at a sweep, and what had
    /// arrived by then is exactly what stored history holds for it, so replay sees the same samples the live
    /// engine saw (a probe that finishes after its window closed counts in the next one instead of being lost).
    public var recordedAtSeconds: Double?

    public init(group: String, server: String, source: Source, seconds: Double, serverSeconds: Double? = nil,
                outcome: Outcome = .success, atSeconds: Double, recordedAtSeconds: Double? = nil) {
        self.group = group
        self.server = server
        self.source = source
        self.seconds = seconds
        self.serverSeconds = serverSeconds
        self.outcome = outcome
        self.atSeconds = atSeconds
        self.recordedAtSeconds = recordedAtSeconds
    }

    /// When the sample arrived: ``recordedAtSeconds``, else ``atSeconds``.
    public var arrivalSeconds: Double { self.recordedAtSeconds ?? self.atSeconds }

    /// The latency detection uses: the server's own task time (what the study measured), else the client's view;
    /// `nil` for a failure.
    public var taskSeconds: Double? {
        self.outcome == .success ? (self.serverSeconds ?? self.seconds) : nil
    }

    private enum CodingKeys: String, CodingKey {
        case group, server, source, seconds, serverSeconds, outcome, error, atSeconds, recordedAtSeconds
    }

    public init(from decoder: any Decoder) throws {
        _ = try Self.decodeSchemaVersion(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.group = try c.decode(String.self, forKey: .group)
        self.server = try c.decode(String.self, forKey: .server)
        self.source = try c.decode(Source.self, forKey: .source)
        self.seconds = try c.decodeIfPresent(Double.self, forKey: .seconds) ?? 0
        self.serverSeconds = try c.decodeIfPresent(Double.self, forKey: .serverSeconds)
        switch try c.decodeIfPresent(String.self, forKey: .outcome) ?? "success" {
        case "success": self.outcome = .success
        case "timeout": self.outcome = .timeout
        case "error": self.outcome = .error(try c.decodeIfPresent(String.self, forKey: .error) ?? "")
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .outcome, in: c, debugDescription: "unknown outcome \"\(other)\"")
        }
        self.atSeconds = try c.decode(Double.self, forKey: .atSeconds)
        self.recordedAtSeconds = try c.decodeIfPresent(Double.self, forKey: .recordedAtSeconds)
    }

    public func encode(to encoder: any Encoder) throws {
        try Self.encodeSchemaVersion(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.group, forKey: .group)
        try c.encode(self.server, forKey: .server)
        try c.encode(self.source, forKey: .source)
        try c.encode(self.seconds, forKey: .seconds)
        try c.encodeIfPresent(self.serverSeconds, forKey: .serverSeconds)
        switch self.outcome {
        case .success: try c.encode("success", forKey: .outcome)
        case .timeout: try c.encode("timeout", forKey: .outcome)
        case .error(let reason):
            try c.encode("error", forKey: .outcome)
            try c.encode(reason, forKey: .error)
        }
        try c.encode(self.atSeconds, forKey: .atSeconds)
        try c.encodeIfPresent(self.recordedAtSeconds, forKey: .recordedAtSeconds)
    }
}
