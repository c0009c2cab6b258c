import Foundation
import Hummingbird
import NIOCore

/// The one JSON configuration of the HTTP API: snake_case keys, sorted and indented (diffable by a person), and
/// infinities as strings (a server whose requests all failed has an infinite median; JSON has no infinity).
enum APIJSON {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return try encoder.encode(value)
    }

    /// Reads a request body written in the API's own form (snake_case keys, infinities as strings).
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return try decoder.decode(type, from: data)
    }

    /// A JSON response; a value that cannot be encoded gives `500 {"error": ...}` rather than a broken body.
    static func response(status: HTTPResponse.Status = .ok, _ value: some Encodable) -> Response {
        let data: Data
        let code: HTTPResponse.Status
        do {
            data = try self.encode(value)
            code = status
        } catch {
            data = Data("{\"error\": \"could not encode the response\"}".utf8)
            code = .internalServerError
        }
        return Response(status: code, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
