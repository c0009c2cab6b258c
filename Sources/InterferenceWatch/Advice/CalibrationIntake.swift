import Detectors
import Foundation
import Hummingbird
import NIOCore

/// The calibration's side of the API; the `POST`s change state, so ``WebAccessMiddleware`` wants the bearer token
/// (or a web-config user) whenever one is set:
///
/// ```
/// POST /api/v1/calibration/start   {"until_seconds": 1796131268}   the allocator is not demand until then
/// POST /api/v1/calibration/result  <CalibrationResult>             the curve and knee, into the advice and history
/// GET  /api/v1/calibration                                          the last result
/// ```
///
/// `start` answers `202`; a bad body `400` naming the field. A dead calibrator's pause ends at `until_seconds` by itself.
struct CalibrationIntake: Sendable {
    static let path = "/api/v1/calibration"
    /// A calibration is bounded by its own time limit; a pause longer than a day is a mistake.
    static let longestPauseSeconds = 86_400.0

    let advice: HostMemoryAdvice
    /// Hands a result to history.
    let store: @Sendable (CalibrationResult) -> Void
    var maxBodyBytes = 4 << 20
    var now: @Sendable () -> Double = { Date().timeIntervalSince1970 }

    private struct Start: Decodable { var untilSeconds: Double? }

    func start(_ request: Request) async -> Response {
        let start: Start
        do {
            start = try APIJSON.decode(Start.self, from: Data(try await request.body.collect(upTo: self.maxBodyBytes).readableBytesView))
        } catch {
            return APIJSON.response(status: .badRequest, APIError(error: "body: expected {\"until_seconds\": <Unix seconds>}", field: "until_seconds"))
        }
        let now = self.now()
        guard let until = start.untilSeconds, until.isFinite, until > now, until <= now + Self.longestPauseSeconds else {
            return APIJSON.response(status: .badRequest,
                                    APIError(error: "until_seconds: expected a time within the next 24 hours", field: "until_seconds"))
        }
        self.advice.calibrationStarted(untilSeconds: until)
        return APIJSON.response(status: .accepted, ["until_seconds": until])
    }

    func result(_ request: Request) async -> Response {
        let result: CalibrationResult
        do {
            result = try APIJSON.decode(CalibrationResult.self, from: Data(try await request.body.collect(upTo: self.maxBodyBytes).readableBytesView))
        } catch let error as DecodingError {
            return APIJSON.response(status: .badRequest, APIError(error: "body: not a calibration result: \(Self.describe(error))", field: Self.field(error)))
        } catch {
            return APIJSON.response(status: .contentTooLarge, APIError(error: "body larger than \(self.maxBodyBytes) bytes", field: "body"))
        }
        if let error = Self.invalidTime(in: result) { return APIJSON.response(status: .badRequest, error) }
        self.advice.recordCalibration(result)
        self.store(result)
        return APIJSON.response(status: .accepted, ["steps": result.steps.count])
    }

    func latest() -> Response {
        struct Document: Encodable { var calibration: CalibrationResult? }
        return APIJSON.response(Document(calibration: self.advice.state.calibration))
    }

    /// The dotted path of the field at fault; `body` when the body as a whole is (not JSON, not an object).
    static func field(_ error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: path = []
        }
        return path.isEmpty ? "body" : path.map(\.stringValue).joined(separator: ".")
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): return "missing \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): return context.debugDescription
        @unknown default: return "\(error)"
        }
    }
}
