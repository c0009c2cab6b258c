import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small client of the daemon's own JSON API (used by `calibrate`): GET and POST with the API's JSON, bounded waits.
struct DaemonAPIClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let baseURL: String
    let token: String?
    var timeout: TimeAmount = .seconds(10)
    var client: HTTPClient = .shared

    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try await self.send(HTTPClientRequest(url: self.baseURL + path), path: path, as: type)
    }

    func post<T: Decodable>(_ path: String, body: some Encodable, as type: T.Type) async throws -> T {
        var request = HTTPClientRequest(url: self.baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try APIJSON.encode(body)))
        return try await self.send(request, path: path, as: type)
    }

    private func send<T: Decodable>(_ request: HTTPClientRequest, path: String, as type: T.Type) async throws -> T {
        var request = request
        if let token = self.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do {
            response = try await self.client.execute(request, timeout: self.timeout)
        } catch {
            throw Failure(description: "\(request.method) \(self.baseURL)\(path): \(error)")
        }
        let body = try await response.body.collect(upTo: 16 << 20)
        let data = Data(body.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(description: "\(request.method) \(self.baseURL)\(path): status \(response.status.code): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        do {
            return try APIJSON.decode(type, from: data)
        } catch {
            throw Failure(description: "\(request.method) \(self.baseURL)\(path): unexpected reply: \(error)")
        }
    }
}
