/// The JSON body of every API error: what is wrong, and the request field it is about.
struct APIError: Encodable, Sendable {
    var error: String
    var field: String?
}
