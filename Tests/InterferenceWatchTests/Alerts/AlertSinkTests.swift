import Detectors
import Foundation
import Logging
import Testing

@testable import InterferenceWatch

/// The webhook and Alertmanager sinks against real HTTP receivers on loopback.
@Suite(.serialized)
struct AlertSinkTests {
    static func firing(_ name: String = "Test", at: Double = 100) -> AlertLifecycle.Transition {
        var lifecycle = AlertLifecycle()
        let rule = AlertRule(name: name, condition: .hostMemoryPressure, threshold: 0, summary: "{{percent}} stalled")
        let transitions = lifecycle.evaluate(nowSeconds: at, rules: [rule],
                                             candidates: [AlertCandidate(rule: name, labels: ["host": "h"], value: 0.5, evidence: ["percent": "50 %"])])
        return transitions.last!
    }

    /// HMAC-SHA256 by Python's standard library: an implementation independent of the daemon's.
    static func pythonSignature(_ body: Data, secret: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import hmac,hashlib,sys; print('sha256=' + hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())", secret]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(body)
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aWebhookThatFailsAtFirstGetsTheAlertAfterRetriesSigned() async throws {
        let receiver = try await WebhookReceiver(failFirst: 3)
        defer { receiver.stop() }
        let counters = NotificationCounters()
        let sink = WebhookSink(url: receiver.url + "/hook", secret: Array("s3cret".utf8), counters: counters,
                               maxBackoff: .milliseconds(400), generatorURL: { _ in "http://daemon/report" }, logger: Logger(label: "t"))
        let run = Task { try await sink.run() }
        defer { run.cancel() }
        sink.notify([Self.firing()])
        let arrived = await eventually(within: 90) { !receiver.received.isEmpty }
        #expect(arrived)
        #expect(receiver.attempts == 4, "attempts \(receiver.attempts)")
        let delivered = try #require(receiver.received.first)
        #expect(delivered.headers["x-interferencewatch-signature"] == (try Self.pythonSignature(delivered.body, secret: "s3cret")))
        let json = try #require(delivered.json)
        #expect(json["status"] as? String == "firing")
        #expect((json["alert"] as? [String: Any])?["labels"] as? [String: String] == ["alertname": "Test", "severity": "warning", "host": "h"])
        #expect(json["generator_url"] as? String == "http://daemon/report")
        // The receiver records before it answers; the sink counts once the answer is in.
        #expect(await eventually(within: 30) { counters.value("webhook", .sent) == 1 })
        #expect(counters.value("webhook", .failed) == 3)
    }

    @Test func aWebhookThatNeverAnswersCountsDropsAndNeverBlocksTheCaller() async throws {
        let receiver = try await WebhookReceiver(hang: true)
        defer { receiver.stop() }
        let counters = NotificationCounters()
        let sink = WebhookSink(url: receiver.url + "/hook", secret: nil, counters: counters, maxQueued: 5, timeout: .milliseconds(300),
                               maxBackoff: .milliseconds(300), generatorURL: { _ in "" }, logger: Logger(label: "t"))
        let run = Task { try await sink.run() }
        defer { run.cancel() }
        // Twenty transitions into a queue of five: notify never waits for the receiver, the overflow is dropped.
        for index in 0..<20 {
            sink.notify([Self.firing("Test\(index)", at: Double(index))])
        }
        #expect(counters.value("webhook", .dropped) >= 14)
        #expect(await eventually(within: 30) { counters.value("webhook", .failed) >= 2 })
        #expect(receiver.received.isEmpty)
    }

    @Test func alertmanagerPayloadFollowsPrometheus() {
        var lifecycle = AlertLifecycle()
        let rule = AlertRule(name: "A", condition: .hostMemoryPressure, threshold: 0.5, summary: "s")
        _ = lifecycle.evaluate(nowSeconds: 1000, rules: [rule], candidates: [AlertCandidate(rule: "A", labels: ["x": "1"], value: 1)])
        let firing = AlertmanagerSink.payload(lifecycle.reported, nowSeconds: 1030, resendSeconds: 60) { _ in "g" }
        #expect(firing.first?["startsAt"] as? String == TimeExpression.format(1000))
        #expect(firing.first?["endsAt"] as? String == TimeExpression.format(1030 + 240))  // now + 4 x resend
        _ = lifecycle.evaluate(nowSeconds: 1100, rules: [rule], candidates: [])
        let resolved = AlertmanagerSink.payload(lifecycle.reported, nowSeconds: 1160, resendSeconds: 60) { _ in "g" }
        #expect(resolved.first?["endsAt"] as? String == TimeExpression.format(1100))  // when it resolved
        #expect(resolved.first?["generatorURL"] as? String == "g")
    }
}

/// The webhook signature's HMAC-SHA256 against RFC 4231's test vectors and FIPS 180-4's SHA-256 examples.
struct HMACSHA256Tests {
    @Test func sha256KnownAnswers() {
        #expect(HMACSHA256.hex(SHA256Digest.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(HMACSHA256.hex(SHA256Digest.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(HMACSHA256.hex(SHA256Digest.hash(long)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func rfc4231Vectors() {
        let case1 = HMACSHA256.authenticationCode(for: Array("Hi There".utf8), key: [UInt8](repeating: 0x0b, count: 20))
        #expect(HMACSHA256.hex(case1) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let case2 = HMACSHA256.authenticationCode(for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(HMACSHA256.hex(case2) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // A key longer than the block is hashed first (case 6).
        let case6 = HMACSHA256.authenticationCode(for: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                                                  key: [UInt8](repeating: 0xaa, count: 131))
        #expect(HMACSHA256.hex(case6) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}
