import Detectors
import Foundation

/// Validates a `POST /api/v1/samples` body: a JSON array of
/// `{"group", "server", "seconds", "at"?, "server_seconds"?, "error"?}`.
///
/// `error` says the request failed (a client's timeout or a 5xx): the sample then counts as a failure, worse than any
/// success, as a failed probe does, and `seconds` is how long the client waited. Without it a client could only
/// leave a failed server out, and a server that stopped answering would look idle instead of slow.
///
/// The batch is all or nothing: one bad element rejects it with the element's index and the field, so a client
/// never has to work out which part was kept. Names must be configured servers; durations finite, non-negative and
/// under a day; `at` (Unix seconds, default now) within a day of now; unknown fields are errors (a typo such as
/// `sever_seconds` would otherwise vanish silently).
public enum PushBatchParser {
    public static let maxSamples = 10_000
    /// Largest accepted `seconds` and distance of `at` from now: one day.
    public static let maxSeconds: Double = 86_400

    public struct Rejection: Error, Equatable, Encodable {
        public var status: Int
        public var error: String
        public var index: Int?
        public var field: String?

        private enum CodingKeys: String, CodingKey { case error, index, field }

        public init(status: Int, error: String, index: Int? = nil, field: String? = nil) {
            self.status = status
            self.error = error
            self.index = index
            self.field = field
        }
    }

    /// Decodes and validates a whole batch.
    public static func decode(_ body: Data, servers: [String: Set<String>], now: Double) -> Result<[LatencySample], Rejection> {
        let elements: [Element]
        do {
            elements = try JSONDecoder().decode([Element].self, from: body)
        } catch let error as DecodingError {
            return .failure(self.rejection(for: error))
        } catch {
            return .failure(Rejection(status: 400, error: "invalid JSON: \(error)", field: "body"))
        }
        guard elements.count <= self.maxSamples else {
            return .failure(Rejection(status: 413, error: "\(elements.count) samples in one batch; at most \(self.maxSamples)", field: "body"))
        }
        var samples: [LatencySample] = []
        samples.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            func reject(_ field: String, _ message: String) -> Result<[LatencySample], Rejection> {
                .failure(Rejection(status: 400, error: "element \(index): \(field): \(message)", index: index, field: field))
            }
            guard let known = servers[element.group] else { return reject("group", "unknown group \"\(element.group)\"") }
            guard known.contains(element.server) else {
                return reject("server", "unknown server \"\(element.server)\" in group \"\(element.group)\"")
            }
            guard self.isDuration(element.seconds) else { return reject("seconds", "must be a number >= 0 and < \(Int(self.maxSeconds))") }
            if let server = element.serverSeconds, !self.isDuration(server) {
                return reject("server_seconds", "must be a number >= 0 and < \(Int(self.maxSeconds))")
            }
            let at = element.at ?? now
            guard at.isFinite, abs(at - now) <= self.maxSeconds else {
                return reject("at", "must be unix seconds within one day of now (\(Int(now)))")
            }
            var outcome = LatencySample.Outcome.success
            if let error = element.error {
                guard !error.isEmpty, error.utf8.count <= 1024 else { return reject("error", "must be a non-empty string of at most 1024 bytes") }
                outcome = .error(error)
            }
            samples.append(LatencySample(group: element.group, server: element.server, source: .push, seconds: element.seconds,
                                         serverSeconds: element.error == nil ? element.serverSeconds : nil, outcome: outcome,
                                         atSeconds: at))
        }
        return .success(samples)
    }

        private struct Element: Decodable {
        var group: String
        var server: String
        var seconds: Double
        var at: Double?
        var serverSeconds: Double?
        var error: String?

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { self.stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        static let known: Set<String> = ["group", "server", "seconds", "at", "server_seconds", "error"]

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            // A typo such as "sever_seconds" would otherwise vanish silently.
            if let unknown = c.allKeys.first(where: { !Self.known.contains($0.stringValue) }) {
                throw DecodingError.dataCorruptedError(forKey: unknown, in: c, debugDescription: "unknown field")
            }
            self.group = try c.decode(String.self, forKey: Key("group"))
            self.server = try c.decode(String.self, forKey: Key("server"))
            self.seconds = try c.decode(Double.self, forKey: Key("seconds"))
            self.at = try c.decodeIfPresent(Double.self, forKey: Key("at"))
            self.serverSeconds = try c.decodeIfPresent(Double.self, forKey: Key("server_seconds"))
            self.error = try c.decodeIfPresent(String.self, forKey: Key("error"))
        }
    }

    private static func isDuration(_ value: Double) -> Bool {
        value.isFinite && value >= 0 && value < self.maxSeconds
    }

    private static func rejection(for error: DecodingError) -> Rejection {
        let path: [any CodingKey]
        let message: String
        switch error {
        case .typeMismatch(let type, let context):
            path = context.codingPath
            message = type == [Element].self || context.codingPath.isEmpty ? "body must be a JSON array" : "expected \(self.describe(type))"
        case .valueNotFound(let type, let context):
            path = context.codingPath
            message = "expected \(self.describe(type)), got null"
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
            message = "missing"
        case .dataCorrupted(let context):
            path = context.codingPath
            message = path.isEmpty ? "invalid JSON" : context.debugDescription
        @unknown default:
            return Rejection(status: 400, error: "invalid body", field: "body")
        }
        let index = path.first?.intValue
        let field = path.count > 1 ? path[1].stringValue : nil
        switch (index, field) {
        case (let index?, let field?): return Rejection(status: 400, error: "element \(index): \(field): \(message)", index: index, field: field)
        case (let index?, nil): return Rejection(status: 400, error: "element \(index): \(message == "body must be a JSON array" ? "expected an object" : message)", index: index)
        // The body as a whole (not JSON, not an array): the API names `body` as the field at fault.
        default: return Rejection(status: 400, error: message, field: "body")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type: "a number"
        default: "an object"
        }
    }
}
