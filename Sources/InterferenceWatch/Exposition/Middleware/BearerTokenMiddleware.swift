import HTTPTypes
import Hummingbird

/// Refuses requests without the configured bearer token (`401` with `WWW-Authenticate: Bearer` and a JSON error);
/// passes everything through while no token is set. Any route or group can take it.
///
/// The token is read per request, so a reloaded config takes effect at once.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: @Sendable () -> String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = self.token() else { return try await next(request, context) }
        guard let given = request.headers[.authorization], Self.matches(given, Array("Bearer \(token)".utf8)) else {
            var response = APIJSON.response(status: .unauthorized, ["error": "missing or wrong bearer token"])
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }

    /// Compares in time independent of where the first difference is, so the token can't be guessed byte by byte.
    static func matches(_ given: String, _ expected: [UInt8]) -> Bool {
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
}
