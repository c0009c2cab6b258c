import Foundation
import Hummingbird
import NIOCore

/// `POST /api/v1/samples`: latency samples sent by a client or by the servers themselves.
///
/// ```
/// POST /api/v1/samples
/// Authorization: Bearer <token>            (only when push.bearer_token_file is set)
/// Content-Type: application/json
///
/// [{"group": "api", "server": "s1", "seconds": 1.234, "at": 1767225600.5, "server_seconds": 1.1}, ...]
/// ```
/// `at` (unix seconds) defaults to the time of the request; `server_seconds` is optional. The batch is all or
/// nothing: one bad element rejects it with `400 {"error": "...", "index": N, "field": "..."}`, so a client never
/// has to work out which part was kept. Success is `202 {"accepted": N}`. A body over `maxBodyBytes` or more than
/// ``maxSamples`` elements is `413`; a missing or wrong token is `401` with `WWW-Authenticate: Bearer`.
enum PushIntake {
    static let path = "/api/v1/samples"
    static let maxSamples = 10_000
    /// Largest accepted `seconds` and distance of `at` from now: one day.
    static let maxSeconds: Double = 86_400

    struct Rejection: Error, Equatable, Encodable {
        var status: Int
        var error: String
        var index: Int?
        var field: String?

        private enum CodingKeys: String, CodingKey { case error, index, field }
    }

    /// Adds the route to `router`.
    ///
    /// - Parameters:
    ///   - groups: The configured groups; only their servers are accepted.
    ///   - token: The bearer token clients must send, or `nil` for no authentication.
    ///   - maxBodyBytes: Larger bodies get `413` without being read further.
    ///   - now: Unix time, for the default `at` and its ±1 day check.
    static func register<Context: RequestContext>(
        on router: Router<Context>, recorder: LatencyRecorder, groups: [GroupSettings], token: String?,
        maxBodyBytes: Int = 1 << 20, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        let servers = Dictionary(uniqueKeysWithValues: groups.map { ($0.name, Set($0.servers.map(\.name))) })
        let expected = token.map { Array("Bearer \($0)".utf8) }
        router.post(RouterPath(self.path)) { request, _ -> Response in
            if let expected {
                guard let given = request.headers[.authorization], self.matches(given, expected) else {
                    var response = self.json(status: .unauthorized, Rejection(status: 401, error: "missing or wrong bearer token"))
                    response.headers[.wwwAuthenticate] = "Bearer"
                    return response
                }
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maxBodyBytes)
            } catch is NIOTooManyBytesError {
                return self.json(status: .contentTooLarge,
                                 Rejection(status: 413, error: "body larger than \(maxBodyBytes) bytes"))
            }
            switch self.decode(Data(body.readableBytesView), servers: servers, now: now()) {
            case .success(let samples):
                recorder.record(samples)
                return self.json(status: .accepted, ["accepted": samples.count])
            case .failure(let rejection):
                return self.json(status: .init(code: rejection.status), rejection)
            }
        }
    }

    /// Decodes and validates a whole batch; the pure core of the route.
    static func decode(_ body: Data, servers: [String: Set<String>], now: Double) -> Result<[LatencySample], Rejection> {
        let elements: [Element]
        do {
            elements = try JSONDecoder().decode([Element].self, from: body)
        } catch let error as DecodingError {
            return .failure(self.rejection(for: error))
        } catch {
            return .failure(Rejection(status: 400, error: "invalid JSON: \(error)"))
        }
        guard elements.count <= self.maxSamples else {
            return .failure(Rejection(status: 413, error: "\(elements.count) samples in one batch; at most \(self.maxSamples)"))
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
            samples.append(LatencySample(group: element.group, server: element.server, source: .push, seconds: element.seconds,
                                         serverSeconds: element.serverSeconds, atSeconds: at))
        }
        return .success(samples)
    }

    // MARK: - Private

    private struct Element: Decodable {
        var group: String
        var server: String
        var seconds: Double
        var at: Double?
        var serverSeconds: Double?

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { self.stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        static let known: Set<String> = ["group", "server", "seconds", "at", "server_seconds"]

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
            return Rejection(status: 400, error: "invalid body")
        }
        let index = path.first?.intValue
        let field = path.count > 1 ? path[1].stringValue : nil
        switch (index, field) {
        case (let index?, let field?): return Rejection(status: 400, error: "element \(index): \(field): \(message)", index: index, field: field)
        case (let index?, nil): return Rejection(status: 400, error: "element \(index): \(message == "body must be a JSON array" ? "expected an object" : message)", index: index)
        default: return Rejection(status: 400, error: message)
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type: "a number"
        default: "an object"
        }
    }

    /// Compares in time independent of where the first difference is, so the token can't be guessed byte by byte.
    private static func matches(_ given: String, _ expected: [UInt8]) -> Bool {
        let bytes = Array(given.utf8)
        // The scheme is case-insensitive (RFC 9110 §11.1); fold it, leave the token alone.
        var difference = UInt8(truncatingIfNeeded: bytes.count ^ expected.count)
        for index in 0..<expected.count {
            var byte = index < bytes.count ? bytes[index] : 0
            if index < 6, byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte |= 0x20 }
            var want = expected[index]
            if index < 6, want >= UInt8(ascii: "A"), want <= UInt8(ascii: "Z") { want |= 0x20 }
            difference |= byte ^ want
        }
        return difference == 0
    }

    private static func json(status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
