import Foundation
import HTTPTypes
import Hummingbird

/// Who may do what, in front of every route, and the web config's extra response headers.
///
/// - Reading (`GET`, `HEAD`) is open unless the web config lists `basic_auth_users`; then it needs one of them (as
///   exporter-toolkit protects everything once users are set).
/// - Changing state (`POST /api/v1/samples`, the calibration's `POST`s) is open only while neither a web config nor a
///   bearer token is set; otherwise it needs the bearer token, a basic-auth user, or a client certificate the TLS
///   config verifies on every connection (`RequireAndVerifyClientCert`).
///
/// A refusal is `401` with a JSON error and `WWW-Authenticate` naming what would be accepted. Tokens are compared in
/// time independent of where they differ. Both the token and the web config are read per request, so a reload takes
/// effect at once.
struct WebAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: @Sendable () -> String?
    let web: LiveWebConfig?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let config = self.web?.config
        let users = !(config?.basicAuthUsers.isEmpty ?? true)
        let reads = request.method == .get || request.method == .head
        let token = self.token()
        let authorization = request.headers[.authorization]
        let basic = users && authorization.map { self.basicMatches($0) } == true
        let allowed: Bool
        if reads {
            allowed = !users || basic
        } else {
            let bearer = token.map { expected in authorization.map { Self.matches($0, Array("Bearer \(expected)".utf8)) } == true } ?? false
            allowed = (config == nil && token == nil) || bearer || basic || config?.tls?.verifiesClients == true
        }
        var response: Response
        if allowed {
            response = try await next(request, context)
        } else {
            let needs = reads ? "basic authentication"
                : token != nil ? "the bearer token" + (users ? " or basic authentication" : "")
                : users ? "basic authentication"
                : "authentication (set push.bearer_token_file, basic_auth_users or verified client certificates)"
            response = APIJSON.response(status: .unauthorized, APIError(error: "this needs \(needs)", field: "Authorization"))
            response.headers[.wwwAuthenticate] = users ? "Basic realm=\"interference-watch\"" : "Bearer"
        }
        for header in config?.headers ?? [] {
            if let name = HTTPField.Name(header.name) { response.headers[name] = header.value }
        }
        return response
    }

    /// `Basic base64(user:password)` against the web config's users.
    private func basicMatches(_ header: String) -> Bool {
        guard header.count > 6, header.prefix(6).lowercased() == "basic ",
              let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return false }
        return self.web?.verify(user: String(text[..<colon]), password: String(text[text.index(after: colon)...])) ?? false
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
