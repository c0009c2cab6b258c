import Detectors
@testable import Parsers
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import InterferenceWatch

struct LatencyPushIntakeTests {
    static let now = 1_767_225_600.0
    static let groups = [
        GroupSettings(name: "api", probe: nil, servers: [
            .init(name: "s1", url: nil, placement: .none), .init(name: "s2", url: nil, placement: .none),
        ])
    ]

    static func app(recorder: LatencyRecorder, token: String? = nil, maxBodyBytes: Int = 1 << 20) -> some ApplicationProtocol {
        let router = Router()
        // The access check every route of the daemon's router has in front of it.
        router.add(middleware: WebAccessMiddleware(token: { token }, web: nil))
        HTTPRoutes.addPush(PushIntake(recorder: recorder, groups: Self.groups, token: token, maxBodyBytes: maxBodyBytes,
                                      now: { Self.now }), to: router)
        return Application(router: router)
    }

    static func post(_ client: some TestClientProtocol, _ body: String, headers: HTTPFields = [:])
        async throws -> (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields)
    {
        try await client.execute(uri: PushIntake.path, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            let json = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
            return (response.status, json, response.headers)
        }
    }

    @Test func goodBatchIsAccepted() async throws {
        let recorder = LatencyRecorder()
        try await Self.app(recorder: recorder).test(.router) { client in
            let body = """
                [{"group": "api", "server": "s1", "seconds": 1.5, "at": \(Self.now - 10)},
                 {"group": "api", "server": "s2", "seconds": 0, "server_seconds": 0.25},
                 {"group": "api", "server": "s2", "seconds": 2, "server_seconds": null},
                 {"group": "api", "server": "s1", "seconds": 30, "error": "timed out"}]
                """
            let reply = try await Self.post(client, body)
            #expect(reply.status == .accepted)
            #expect(reply.json["accepted"] as? Int == 4)
        }
        // Stamped on arrival (the daemon's clock), kept apart from the `at` they claim.
        let arrived = recorder.samples(group: "api", from: 0, to: .infinity)
        #expect(arrived.allSatisfy { $0.recordedAtSeconds != nil })
        let samples = arrived.map { sample -> LatencySample in
            var sample = sample
            sample.recordedAtSeconds = nil
            return sample
        }
        #expect(samples == [
            LatencySample(group: "api", server: "s1", source: .push, seconds: 1.5, atSeconds: Self.now - 10),
            LatencySample(group: "api", server: "s2", source: .push, seconds: 0, serverSeconds: 0.25, atSeconds: Self.now),
            LatencySample(group: "api", server: "s2", source: .push, seconds: 2, atSeconds: Self.now),
            // A failed request is a failure sample: it has no task time and counts as worse than any success.
            LatencySample(group: "api", server: "s1", source: .push, seconds: 30, outcome: .error("timed out"), atSeconds: Self.now),
        ])
        #expect(samples.last?.taskSeconds == nil)
    }

    @Test(arguments: [
        (#"[{"group": "api", "server": "s1", "seconds": 1}, {"group": "web", "server": "s1", "seconds": 1}]"#, 1, "group"),
        (#"[{"group": "api", "server": "s9", "seconds": 1}]"#, 0, "server"),
        (#"[{"group": "api", "server": "s1", "seconds": -1}]"#, 0, "seconds"),
        (#"[{"group": "api", "server": "s1", "seconds": 86400}]"#, 0, "seconds"),
        (#"[{"group": "api", "server": "s1", "seconds": "1"}]"#, 0, "seconds"),
        (#"[{"group": "api", "server": "s1", "seconds": true}]"#, 0, "seconds"),
        (#"[{"group": "api", "server": "s1"}]"#, 0, "seconds"),
        (#"[{"group": "api", "server": "s1", "seconds": null}]"#, 0, "seconds"),
        (#"[{"group": "api", "seconds": 1}]"#, 0, "server"),
        (#"[{"group": 7, "server": "s1", "seconds": 1}]"#, 0, "group"),
        (#"[{"group": "api", "server": "s1", "seconds": 1, "at": 1000}]"#, 0, "at"),
        (#"[{"group": "api", "server": "s1", "seconds": 1, "at": "now"}]"#, 0, "at"),
        (#"[{"group": "api", "server": "s1", "seconds": 1, "server_seconds": -2}]"#, 0, "server_seconds"),
        (#"[{"group": "api", "server": "s1", "seconds": 1, "sever_seconds": 2}]"#, 0, "sever_seconds"),
        (#"[{"group": "api", "server": "s1", "seconds": 1, "error": ""}]"#, 0, "error"),
        (#"[{"group": "api", "server": "s1", "seconds": 1, "error": 500}]"#, 0, "error"),
        (#"[{"group": "api", "server": "s1", "seconds": 1}, 5]"#, 1, nil),
    ] as [(String, Int, String?)])
    func badElementRejectsTheBatch(body: String, index: Int, field: String?) async throws {
        let recorder = LatencyRecorder()
        try await Self.app(recorder: recorder).test(.router) { client in
            let reply = try await Self.post(client, body)
            #expect(reply.status == .badRequest)
            #expect(reply.json["index"] as? Int == index)
            #expect(reply.json["field"] as? String == field)
            let message = try #require(reply.json["error"] as? String)
            #expect(message.hasPrefix("element \(index)"))
            if let field { #expect(message.contains(field)) }
        }
        #expect(recorder.samples(group: "api", from: 0, to: .infinity).isEmpty)
    }

    @Test(arguments: ["{\"group\": \"api\"}", "not json", "", "[1, 2"])
    func bodyThatIsNotAnArrayIs400WithoutIndex(body: String) async throws {
        try await Self.app(recorder: LatencyRecorder()).test(.router) { client in
            let reply = try await Self.post(client, body)
            #expect(reply.status == .badRequest)
            #expect(reply.json["index"] == nil)
            #expect(reply.json["field"] as? String == "body")
            #expect(reply.json["error"] is String)
        }
    }

    @Test func oversizeBodyIs413() async throws {
        try await Self.app(recorder: LatencyRecorder(), maxBodyBytes: 100).test(.router) { client in
            let element = #"{"group": "api", "server": "s1", "seconds": 1}"#
            let reply = try await Self.post(client, "[" + Array(repeating: element, count: 10).joined(separator: ",") + "]")
            #expect(reply.status == .contentTooLarge)
        }
    }

    @Test func tooManyElementsIs413() async throws {
        try await Self.app(recorder: LatencyRecorder(), maxBodyBytes: 4 << 20).test(.router) { client in
            let element = #"{"group":"api","server":"s1","seconds":1}"#
            let reply = try await Self.post(client, "[" + Array(repeating: element, count: PushBatchParser.maxSamples + 1).joined(separator: ",") + "]")
            #expect(reply.status == .contentTooLarge)
        }
    }

    @Test func bearerToken() async throws {
        let recorder = LatencyRecorder()
        let body = #"[{"group": "api", "server": "s1", "seconds": 1}]"#
        try await Self.app(recorder: recorder, token: "s3cret").test(.router) { client in
            for header in [nil, "Bearer wrong", "Bearer s3cre", "Bearer s3cret2", "Basic s3cret", "s3cret"] as [String?] {
                var headers: HTTPFields = [:]
                if let header { headers[.authorization] = header }
                let reply = try await Self.post(client, body, headers: headers)
                #expect(reply.status == .unauthorized, "\(header ?? "no header")")
                #expect(reply.headers[.wwwAuthenticate] == "Bearer")
            }
            for header in ["Bearer s3cret", "bearer s3cret"] {
                let reply = try await Self.post(client, body, headers: [.authorization: header])
                #expect(reply.status == .accepted)
            }
        }
        #expect(recorder.samples(group: "api", from: 0, to: .infinity).count == 2)
    }

    @Test func tokenFileIsReadAtStart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("iw-push-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("token").path
        try "  tok-123\n".write(toFile: file, atomically: true, encoding: .utf8)
        let config = try DaemonConfig.parse("push:\n  bearer_token_file: \(file)\n", file: "c.yaml")
        #expect(try config.push.loadToken() == "tok-123")
        let missing = try DaemonConfig.parse("push:\n  bearer_token_file: \(file).missing\n", file: "c.yaml")
        #expect(throws: ConfigError.self) { try missing.push.loadToken() }
        #expect(try DaemonConfig.parse("groups: []\n", file: "c.yaml").push.loadToken() == nil)
        #expect(throws: ConfigError.self) { try DaemonConfig.parse("push:\n  token: x\n", file: "c.yaml") }
    }

    @Test func overTheLimitABatchIs429WithRetryAfterAndNothingOfItIsKept() async throws {
        let recorder = LatencyRecorder()
        let clock = NIOLockedValueBox(0.0)
        let limit = PushRateLimit(samplesPerSecond: 10, burstSeconds: 2, now: { clock.withLockedValue { $0 } })
        var intake = PushIntake(recorder: recorder, groups: Self.groups, token: nil, now: { Self.now })
        intake.limit = limit
        let router = Router()
        HTTPRoutes.addPush(intake, to: router)
        @Sendable func batch(_ count: Int) -> String {
            "[" + Array(repeating: #"{"group": "api", "server": "s1", "seconds": 1}"#, count: count).joined(separator: ",") + "]"
        }
        try await Application(router: router).test(.router) { client in
            // The bucket holds two seconds' worth: 15 fit, 10 more do not.
            #expect(try await Self.post(client, batch(15)).status == .accepted)
            let limited = try await Self.post(client, batch(10))
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "1", "5 left, 5 more needed at 10 per second: half a second, rounded up")
            #expect((limited.json["error"] as? String)?.contains("nothing of this batch was kept") == true)
            // Half a second later they fit.
            clock.withLockedValue { $0 = 0.5 }
            #expect(try await Self.post(client, batch(10)).status == .accepted)
            // A batch larger than the bucket can never fit: it is told to wait for a full bucket.
            clock.withLockedValue { $0 = 100 }
            let huge = try await Self.post(client, batch(30))
            #expect(huge.status == .tooManyRequests && huge.headers[.retryAfter] == "1")
        }
        #expect(recorder.samples(group: "api", from: 0, to: .infinity).count == 25)
        #expect(limit.accepted == 25 && limit.limited == 40)
    }
}
