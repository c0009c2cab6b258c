@testable import Parsers
import Detectors
import Foundation
import Logging
import Testing

@testable import InterferenceWatch

/// The QMP client against scripted peers: every broken peer gives a clear error and `up = false`, while a healthy
/// VM polled at the same moment answers promptly.
@Suite(.timeLimit(.minutes(4)))
struct QMPMonitorTests {
    /// How long a wait may take before it fails. A monitor's polls need the cooperative pool, which other suites can
    /// keep busy (on two cores) for tens of seconds: CI once saw a stalled peer reach its second timeout only after
    /// more than 40 s. A wait that succeeds returns at once, so this only bounds a failure.
    static let patience: Double = 120

    /// Short limits keep the suite fast; the healthy peer answers in milliseconds, far below them.
    static let configuration = QMPConfiguration(
        pollInterval: .milliseconds(200),
        timeouts: .init(connect: .seconds(1), greeting: .seconds(1), command: .seconds(1)),
        backoff: .init(initial: .milliseconds(100), maximum: .milliseconds(400)))

    /// Long enough that a hanging peer is still hanging when a healthy one has answered, even while other suites
    /// swap the machine hard (6 s was seen to be too short then).
    static let slowTimeouts = QMPConfiguration(
        pollInterval: .milliseconds(200),
        timeouts: .init(connect: .seconds(20), greeting: .seconds(20), command: .seconds(20)),
        backoff: .init(initial: .milliseconds(100), maximum: .milliseconds(400)))

    @Test func healthyPeerGivesAFullSample() async throws {
        let peer = try MockQMPPeer(behavior: .healthy)
        defer { peer.stop() }
        let monitor = QMPMonitor(target: QMPTarget(socketPath: peer.socketPath), configuration: Self.configuration,
                                 logger: TestLogHandlerStore().logger())
        let sample = await monitor.poll()
        #expect(sample.up, "\(sample.error ?? "")")
        #expect(sample.name == "mock-vm")
        #expect(sample.source == .qmp)
        #expect(sample.status == "running")
        #expect(sample.configuredBytes == 536_870_912)
        #expect(sample.maximumBytes == 536_870_912)
        #expect(sample.balloonActualBytes == 402_653_184)
        #expect(sample.balloonInflatedBytes == 134_217_728)
        // 18446744073709551615 everywhere and last-update 0: the guest has not reported anything.
        #expect(sample.guestStats == VMSample.GuestStats())
        #expect(sample.pid == getpid())  // SO_PEERCRED: the mock runs in this process.
        #expect(sample.error == nil)
        #expect(monitor.latest == sample)
        // Without the option the VM's polling interval is never touched.
        #expect(!peer.commands.contains("qom-set"))
    }

    @Test func setsGuestStatsIntervalOnlyWhenConfigured() async throws {
        let peer = try MockQMPPeer(behavior: .healthy)
        defer { peer.stop() }
        var configuration = Self.configuration
        configuration.guestStatsIntervalSeconds = 2
        let monitor = QMPMonitor(target: QMPTarget(socketPath: peer.socketPath, name: "web1"),
                                 configuration: configuration, logger: TestLogHandlerStore().logger())
        let sample = await monitor.poll()
        #expect(sample.up)
        #expect(sample.name == "web1")  // A configured name wins over query-name.
        #expect(peer.commands.filter { $0 == "qom-set" }.count == 1)
        _ = await monitor.poll()
        #expect(peer.commands.filter { $0 == "qom-set" }.count == 1)  // Once per connection, not per poll.
    }

    /// What each broken peer must produce in the error text (besides the socket path).
    static let brokenPeers: [(MockQMPPeer.Behavior, String)] = [
        (.noGreeting, "probably in use by another client"),
        (.garbage, "malformed message"),
        (.silentAfterNegotiation, "no reply to"),
        (.closeAfterGreeting, "connection closed by QEMU"),
        (.stallMidReply, "no reply to"),
    ]

    @Test(arguments: brokenPeers)
    func brokenPeerIsDownWithoutDelayingAHealthyOne(behavior: MockQMPPeer.Behavior, expected: String) async throws {
        let broken = try MockQMPPeer(behavior: behavior)
        let healthy = try MockQMPPeer(behavior: .healthy)
        defer {
            broken.stop()
            healthy.stop()
        }
        let logs = TestLogHandlerStore()
        let monitors = [QMPTarget(socketPath: broken.socketPath, name: "bad"),
                        QMPTarget(socketPath: healthy.socketPath, name: "good")].map {
            QMPMonitor(target: $0, configuration: Self.slowTimeouts, logger: logs.logger())
        }
        let run = Task {
            await withDiscardingTaskGroup { group in
                for monitor in monitors { group.addTask { await monitor.run() } }
            }
        }
        defer { run.cancel() }

        // The healthy VM publishes while the broken one is still waiting out its 20 s timeout: ordering, not a
        // stopwatch, shows that one VM never waits for another.
        var good = monitors.map(\.latest)[1]
        #expect(await eventually(within: Self.patience) {
            good = monitors.map(\.latest)[1]
            return good.up
        })
        switch behavior {
        case .noGreeting, .silentAfterNegotiation, .stallMidReply:
            #expect(monitors.map(\.latest)[0].error?.contains("not polled yet") == true,
                    "the hanging VM finished before the healthy one: \(monitors.map(\.latest)[0].error ?? "")")
        default:
            break
        }
        #expect(good.balloonActualBytes == 402_653_184)

        // The broken one goes down with a clear error naming its socket.
        var bad = monitors.map(\.latest)[0]
        _ = await eventually(within: Self.patience) {
            bad = monitors.map(\.latest)[0]
            return bad.error?.contains("not polled yet") == false
        }
        #expect(!bad.up)
        let error = try #require(bad.error)
        #expect(error.contains(broken.socketPath), "\(error)")
        #expect(error.contains(expected), "\(error)")
        #expect(bad.balloonActualBytes == nil)

        // While the broken VM keeps failing, the healthy one keeps publishing fresh samples.
        // (A bounded wait, not a fixed sleep: other suites swapping on the same machine can stall any one poll.)
        let before = monitors.map(\.latest)[1].collectedAtSeconds ?? 0
        #expect(await eventually(within: Self.patience) { (monitors.map(\.latest)[1].collectedAtSeconds ?? 0) > before })
        #expect(monitors.map(\.latest)[1].up)
        #expect(!monitors.map(\.latest)[0].up)

        // The failure is logged once as a warning (repeats go to debug), with dotted metadata keys.
        let warnings = logs.all.filter { $0.level == .warning && $0.metadata["qmp.socket"] == "\(broken.socketPath)" }
        #expect(warnings.count == 1, "\(warnings.map(\.metadata))")
        #expect(warnings.first?.metadata["vm.name"] == "bad")
        #expect(logs.all.allSatisfy { $0.metadata["qmp.socket"] != "\(healthy.socketPath)" || $0.level < .warning })
    }

    /// A QEMU that stops half way through a reply: the poll times out and the VM is down, one warning for the whole
    /// outage (not one per poll) with the VM's name and socket, every failed poll counted as `timeout`, and one
    /// "reachable again" when the peer answers again.
    @Test func stalledReplyIsOneOutageUntilThePeerAnswers() async throws {
        let peer = try MockQMPPeer(behavior: .stallMidReply)
        defer { peer.stop() }
        let logs = TestLogHandlerStore()
        // Only the stalled command is short: a greeting held up by a loaded machine must not read as another outage.
        var configuration = Self.configuration
        configuration.timeouts = .init(connect: .seconds(20), greeting: .seconds(20), command: .seconds(1))
        let monitor = QMPMonitor(target: QMPTarget(socketPath: peer.socketPath, name: "stuck"),
                                 configuration: configuration, logger: logs.logger())
        let run = Task { await monitor.run() }
        defer { run.cancel() }

        // Three stalled connections: at least two polls have timed out, each on its own connection.
        #expect(await eventually(within: Self.patience) { peer.connections >= 3 && (monitor.errorCounts["timeout"] ?? 0) >= 2 },
                "connections \(peer.connections), errors \(monitor.errorCounts)")
        let down = monitor.latest
        #expect(!down.up)
        let error = try #require(down.error)
        #expect(error.contains(peer.socketPath) && error.contains("no reply to"), "\(error)")
        #expect(monitor.errorCounts.keys.sorted() == ["timeout"], "\(monitor.errorCounts)")
        let mine = { logs.all.filter { $0.metadata["qmp.socket"] == "\(peer.socketPath)" } }
        let warnings = mine().filter { $0.level == .warning }
        #expect(warnings.count == 1, "\(warnings.map(\.metadata))")
        #expect(warnings.first?.metadata["vm.name"] == "stuck")
        #expect(warnings.first?.metadata["error.reason"] == "timeout")
        #expect(warnings.first?.metadata["error.message"].map { "\($0)".contains("no reply to") } == true)

        // The peer answers again: the next connection recovers, logged once; nothing more is counted.
        peer.behavior = .healthy
        #expect(await eventually(within: Self.patience) { monitor.latest.up }, "\(monitor.latest.error ?? "")")
        let counted = monitor.errorCounts
        let before = monitor.latest.collectedAtSeconds ?? 0
        #expect(await eventually(within: Self.patience) { (monitor.latest.collectedAtSeconds ?? 0) > before })
        #expect(monitor.latest.up)
        #expect(monitor.errorCounts == counted)
        #expect(mine().filter { $0.level == .info && $0.message.contains("reachable again") }.count == 1)
        #expect(mine().filter { $0.level == .warning }.count == 1)
    }

    /// A VM found by a glob whose QEMU exits (closes the connection, removes the socket): gone, not failing. No
    /// warning, nothing counted, and the monitor's loop ends so the fleet can drop it.
    @Test func discoveredVMThatExitsIsGoneNotFailing() async throws {
        let peer = try MockQMPPeer(behavior: .healthy)
        let logs = TestLogHandlerStore()
        let monitor = QMPMonitor(target: QMPTarget(socketPath: peer.socketPath), configuration: Self.configuration,
                                 isDiscovered: true, logger: logs.logger())
        let run = Task { await monitor.run() }
        defer { run.cancel() }
        #expect(await eventually(within: Self.patience) { monitor.latest.up }, "\(monitor.latest.error ?? "")")
        peer.stop()
        #expect(await eventually(within: Self.patience) { monitor.hasVanished })
        await run.value  // The loop returns by itself.
        #expect(monitor.errorCounts.isEmpty, "\(monitor.errorCounts)")
        #expect(logs.all.allSatisfy { $0.level < .warning }, "\(logs.all.filter { $0.level >= .warning }.map(\.message))")
    }

    /// The same exit for a socket named by path: the operator asked for that VM, so it stays, down, counted and
    /// logged once.
    @Test func namedVMThatExitsIsDown() async throws {
        let peer = try MockQMPPeer(behavior: .healthy)
        let logs = TestLogHandlerStore()
        let monitor = QMPMonitor(target: QMPTarget(socketPath: peer.socketPath), configuration: Self.configuration,
                                 logger: logs.logger())
        let run = Task { await monitor.run() }
        defer { run.cancel() }
        #expect(await eventually(within: Self.patience) { monitor.latest.up }, "\(monitor.latest.error ?? "")")
        peer.stop()
        #expect(await eventually(within: Self.patience) { (monitor.errorCounts["connect"] ?? 0) >= 2 }, "\(monitor.errorCounts)")
        #expect(!monitor.latest.up)
        #expect(!monitor.hasVanished)
        #expect(monitor.latest.error?.contains("no such socket") == true, "\(monitor.latest.error ?? "")")
        let warnings = logs.all.filter { $0.level == .warning }
        // The dropped connection, then the missing socket: two kinds of failure, each logged once.
        #expect((1...2).contains(warnings.count), "\(warnings.map(\.metadata))")
    }

    @Test(arguments: [MockQMPPeer.Behavior.splitReplies, .eventsBetweenReplies])
    func oddButValidStreamsDecode(behavior: MockQMPPeer.Behavior) async throws {
        let peer = try MockQMPPeer(behavior: behavior)
        defer { peer.stop() }
        let monitor = QMPMonitor(target: QMPTarget(socketPath: peer.socketPath), configuration: Self.configuration,
                                 logger: TestLogHandlerStore().logger())
        let sample = await monitor.poll()
        #expect(sample.up, "\(sample.error ?? "")")
        #expect(sample.balloonActualBytes == 402_653_184)
        #expect(sample.status == "running")
        if behavior == .eventsBetweenReplies {
            // One BALLOON_CHANGE and one RESUME per command: the handshake's and the poll's.
            let changes = try #require(sample.eventCounts["BALLOON_CHANGE"])
            #expect(changes >= 4)
            #expect(sample.balloonChanges == changes)
            // The RESUME written after the last reply may still be in flight when the sample is taken.
            #expect((sample.eventCounts["RESUME"] ?? 0) + 1 >= changes)
            #expect(sample.lastBalloonChangeSeconds == 1_700_000_000.25)
            #expect(sample.lastBalloonChangeActualBytes == 402_653_184)
        }
    }

    @Test func reconnectsAfterThePeerDies() async throws {
        let peer = try MockQMPPeer(behavior: .healthy, firstConnection: .closeAfterGreeting)
        defer { peer.stop() }
        let logs = TestLogHandlerStore()
        let monitor = QMPMonitor(target: QMPTarget(socketPath: peer.socketPath), configuration: Self.configuration,
                                 logger: logs.logger())
        let first = await monitor.poll()
        #expect(!first.up)
        // Within the backoff window the socket is not touched again.
        let second = await monitor.poll()
        #expect(!second.up)
        #expect(peer.connections == 1)
        // Polls during the backoff do not connect; the first one after it does.
        var third = second
        _ = await eventually(within: Self.patience) {
            third = await monitor.poll()
            return third.up
        }
        #expect(third.up, "\(third.error ?? "")")
        #expect(peer.connections == 2)
        #expect(logs.all.contains { $0.level == .info && $0.message.contains("reachable again") })
    }

    @Test func missingSocketSaysSo() async throws {
        let path = FileManager.default.temporaryDirectory.path + "/iw-missing-\(UUID().uuidString.prefix(8)).sock"
        let monitor = QMPMonitor(target: QMPTarget(socketPath: path), configuration: Self.configuration,
                                 logger: TestLogHandlerStore().logger())
        let sample = await monitor.poll()
        #expect(!sample.up)
        #expect(sample.error?.contains(path) == true)
        #expect(sample.error?.contains("no such socket") == true, "\(sample.error ?? "")")
    }
}
