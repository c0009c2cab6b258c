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
        let arrived = await eventually(within: 30) { !receiver.received.isEmpty }
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
        // Twenty transitions into a queue of five: notify returns at once every time, the overflow is dropped.
        let clock = ContinuousClock()
        var slowest = Duration.zero
        for index in 0..<20 {
            let start = clock.now
            sink.notify([Self.firing("Test\(index)", at: Double(index))])
            slowest = max(slowest, clock.now - start)
        }
        #expect(slowest < .milliseconds(100), "notify took \(slowest)")
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
