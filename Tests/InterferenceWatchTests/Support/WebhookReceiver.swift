@testable import InterferenceWatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP receiver on loopback for alert notifications: records every POST (body and headers), can fail the
/// first `failFirst` requests with 503, or hang every request (`hang`) to play a receiver that never answers.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        var path: String
        var body: Data
        var headers: [String: String]
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: self.body)) as? [String: Any] }
    }

    private final class Log: Sendable {
        let state = Mutex<(received: [Received], attempts: Int)>(([], 0))
    }

    private let log = Log()
    private let task: Task<Void, any Error>
    let port: Int

    init(failFirst: Int = 0, hang: Bool = false) async throws {
        let router = Router()
        let log = self.log
        router.post("/**") { request, _ -> Response in
            let attempt = log.state.withLock { $0.attempts += 1; return $0.attempts }
            if hang {
                try await Task.sleep(for: .seconds(3600))
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            if attempt <= failFirst { return Response(status: .serviceUnavailable) }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            log.state.withLock { $0.received.append(Received(path: request.uri.path, body: Data(body.readableBytesView), headers: headers)) }
            return Response(status: .ok)
        }
        let port = LoopbackPort.free()
        self.port = port
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              logger: Logger(label: "webhook-receiver"))
        self.task = Task { try await app.runService() }
        // Bound wait for the listener, on something observable: a TCP connect.
        _ = await eventually(within: 20) { LoopbackPort.isListening(port) }
    }

    var url: String { "http://127.0.0.1:\(self.port)" }
    var received: [Received] { self.log.state.withLock { $0.received } }
    var attempts: Int { self.log.state.withLock { $0.attempts } }

    func stop() { self.task.cancel() }

    deinit { self.task.cancel() }
}
