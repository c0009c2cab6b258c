import Detectors
import Foundation
import Hummingbird
import NIOCore
import Parsers

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
/// nothing (``PushBatchParser``): one bad element rejects it with `400 {"error": "...", "index": N, "field": "..."}`.
/// Success is `202 {"accepted": N}`. A body over `maxBodyBytes` or more than ``PushBatchParser/maxSamples`` elements
/// is `413`. Over the rate limit (``PushRateLimit``, `--push.max-samples-per-second`) the whole batch is `429` with
/// `Retry-After` and nothing of it is kept. The bearer token is checked by ``WebAccessMiddleware`` in front of the
/// route (``HTTPRoutes``).
struct PushIntake: Sendable {
    static let path = "/api/v1/samples"

    let recorder: LatencyRecorder
    /// Group name to its server names: only configured servers are accepted (read per request, for reloads).
    let servers: @Sendable () -> [String: Set<String>]
    /// The bearer token clients must send, or `nil` for no authentication (read per request).
    let token: @Sendable () -> String?
    /// Larger bodies get `413` without being read further.
    let maxBodyBytes: Int
    /// Unix time, for the default `at` and its ±1 day check.
    let now: @Sendable () -> Double
    /// Samples per second taken at most; `nil` takes everything.
    var limit: PushRateLimit?

    init(recorder: LatencyRecorder, servers: @escaping @Sendable () -> [String: Set<String>],
         token: @escaping @Sendable () -> String?, maxBodyBytes: Int = 1 << 20,
         now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.recorder = recorder
        self.servers = servers
        self.token = token
        self.maxBodyBytes = maxBodyBytes
        self.now = now
    }

    /// A fixed group list and token.
    init(recorder: LatencyRecorder, groups: [GroupSettings], token: String?, maxBodyBytes: Int = 1 << 20,
         now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        let servers = Self.servers(of: groups)
        self.init(recorder: recorder, servers: { servers }, token: { token }, maxBodyBytes: maxBodyBytes, now: now)
    }

    static func servers(of groups: [GroupSettings]) -> [String: Set<String>] {
        Dictionary(groups.map { ($0.name, Set($0.servers.map(\.name))) }, uniquingKeysWith: { a, _ in a })
    }

    func handle(_ request: Request) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: self.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return self.rejection(PushBatchParser.Rejection(status: 413, error: "body larger than \(self.maxBodyBytes) bytes", field: "body"))
        }
        switch PushBatchParser.decode(Data(body.readableBytesView), servers: self.servers(), now: self.now()) {
        case .success(let samples):
            if let limit = self.limit, let wait = limit.admit(samples.count) {
                let seconds = Int(wait.rounded(.up))
                var response = APIJSON.response(status: .tooManyRequests, APIError(
                    error: "over the push limit of \(Int(limit.samplesPerSecond)) samples per second: nothing of this batch was kept, retry after \(max(1, seconds)) s",
                    field: nil))
                response.headers[.retryAfter] = String(max(1, seconds))
                return response
            }
            self.recorder.record(samples)
            return APIJSON.response(status: .accepted, ["accepted": samples.count])
        case .failure(let rejection):
            return self.rejection(rejection)
        }
    }

    private func rejection(_ rejection: PushBatchParser.Rejection) -> Response {
        APIJSON.response(status: .init(code: rejection.status), rejection)
    }
}
