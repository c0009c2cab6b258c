import Detectors
import Foundation
@testable import InterferenceWatch
import Testing

/// A probed server that accepts connections and never answers, through the real daemon beside a healthy peer.
///
/// Every round waits for the silent server's timeout, so the rounds here are a second apart; nothing is timed
/// except the upper bound that rounds cannot come faster than the timeout.
@Suite(.timeLimit(.minutes(2)))
struct ProbeFaultTests {
    static let timeoutSeconds = 1.0

    /// The daemon's open descriptors.
    static func descriptors(of daemon: DaemonProcess) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.process.processIdentifier)/fd"))?.count ?? -1
    }

    /// The daemon's log lines with `msg` and every `key=value` in `fields`.
    static func lines(_ daemon: DaemonProcess, _ msg: String, _ fields: [String] = []) -> [Substring] {
        daemon.log.split(separator: "\n").filter { line in
            (line.contains("msg=\"\(msg)\"") || line.contains("msg=\(msg) ")) && fields.allSatisfy { line.contains($0) }
        }
    }

    @Test func silentServerTimesOutWithoutPilingUpAndRecoveryIsLoggedOnce() async throws {
        let silent = try TestHTTPPeer(behavior: .silent)
        let healthy = try TestHTTPPeer(behavior: .answering)
        defer {
            silent.stop()
            healthy.stop()
        }
        let tree = try TemporaryTree()
        try tree.write("config.yaml", """
            groups:
              - name: faults
                probe: {interval: 200ms, timeout: 1s}
                servers:
                  - {name: silent, url: "\(silent.url)"}
                  - {name: healthy, url: "\(healthy.url)"}

            """)
        let fixture = TestPaths.fixture("v2-psi")
        let started = Date()
        let daemon = try await DaemonProcess(arguments: [
            "--config", tree.root + "/config.yaml", "--path.procfs", fixture + "/proc", "--path.sysfs", fixture + "/sys",
            "--collection.interval", "1s",
        ])
        defer { daemon.stop() }

        func probe(_ server: String, _ reason: String, in metrics: Exposition) -> Double {
            metrics.value("interferencewatch_server_probe_errors_total",
                          ["group": "faults", "server": server, "reason": reason]) ?? -1
        }
        func answered(_ server: String, in metrics: Exposition) -> Double {
            metrics.value("interferencewatch_server_latency_seconds_count",
                          ["group": "faults", "server": server, "source": "probe"]) ?? 0
        }
        var metrics = Exposition(text: "")
        func scrape() async throws -> Exposition {
            let response = try await daemon.get("/metrics")
            #expect(response.status == 200)
            metrics = Exposition(text: response.body)
            return metrics
        }

        // Two timed-out rounds: the probe connections of the first rounds are open or closed by now.
        #expect(try await eventually(within: 30, every: .milliseconds(200)) {
            probe("silent", "timeout", in: try await scrape()) >= 2
        }, "\(daemon.log)")
        let early = (timeouts: probe("silent", "timeout", in: metrics), descriptors: Self.descriptors(of: daemon),
                     healthy: answered("healthy", in: metrics))
        #expect(early.descriptors > 0)

        // Six more rounds, the descriptors sampled at every scrape: a timed-out probe's connection is closed, so
        // they stay flat instead of growing by one per round.
        var most = early.descriptors
        #expect(try await eventually(within: 60, every: .milliseconds(200)) {
            most = max(most, Self.descriptors(of: daemon))
            return probe("silent", "timeout", in: try await scrape()) >= early.timeouts + 6
        }, "\(daemon.log)")
        // A scrape shows the last sweep's counters: the connections accepted by now are compared with a sweep made
        // after them, or a loaded machine's late sweep shows fewer rounds than had begun.
        let acceptedAtSeconds = Date().timeIntervalSince1970
        let accepted = silent.accepted
        #expect(try await eventually(within: 30, every: .milliseconds(200)) {
            (try await scrape().value("interferencewatch_last_collection_timestamp_seconds") ?? 0) > acceptedAtSeconds
        }, "no sweep after \(acceptedAtSeconds)")
        let timeouts = probe("silent", "timeout", in: metrics)
        print("probe faults: \(Int(timeouts)) timeouts, daemon descriptors \(early.descriptors) -> at most \(most), "
              + "silent server accepted \(accepted) connections")
        #expect(most <= early.descriptors + 4, "descriptors grew from \(early.descriptors) to \(most)")
        // One connection per round at most (the pool neither retries nor keeps the wedged ones); one round may be
        // under way.
        #expect(accepted <= Int(timeouts) + 1, "\(accepted) connections for \(timeouts) rounds")
        // Rounds wait out the timeout and never overlap: they cannot come faster than one per timeout.
        #expect(timeouts <= Date().timeIntervalSince(started) / Self.timeoutSeconds + 1)
        #expect(probe("silent", "error", in: metrics) == 0)
        // The healthy peer is probed in every round and keeps its samples.
        #expect(answered("healthy", in: metrics) >= early.healthy + 4)
        #expect(answered("healthy", in: metrics) + probe("healthy", "timeout", in: metrics)
                + probe("healthy", "error", in: metrics) == timeouts)
        #expect(answered("silent", in: metrics) == 0)
        let lint = try GoldenMetricsTests.promtool(["check", "metrics"], input: metrics.text)
        #expect(lint.status == 0, "promtool check metrics: \(lint.output)")

        // Logged once for the whole outage, with group, server and URL; nothing about the healthy peer.
        let failing = Self.lines(daemon, "probe failing")
        #expect(failing.count == 1, "\(failing)")
        #expect(failing.first.map {
            $0.contains("level=warning") && $0.contains("group.name=faults") && $0.contains("server.name=silent")
                && $0.contains("server.url=\(silent.url)") && $0.contains("probe.reason=timeout")
        } == true, "\(failing)")
        #expect(!daemon.log.contains("level=error"), "\(daemon.log)")

        // The server answers again: its samples return, the recovery is logged once, the timeouts stop.
        silent.behavior = .answering
        #expect(try await eventually(within: 30, every: .milliseconds(200)) {
            answered("silent", in: try await scrape()) >= 3
        }, "\(daemon.log)")
        let recovered = Self.lines(daemon, "probe answering again", ["server.name=silent"])
        #expect(recovered.count == 1, "\(recovered)")
        #expect(recovered.first?.contains("server.url=\(silent.url)") == true)
        let settled = probe("silent", "timeout", in: metrics)
        let base = answered("silent", in: metrics)
        #expect(try await eventually(within: 30, every: .milliseconds(200)) {
            answered("silent", in: try await scrape()) >= base + 3
        })
        #expect(probe("silent", "timeout", in: metrics) == settled)
        #expect(Self.lines(daemon, "probe failing").count == 1)
        #expect(Self.lines(daemon, "probe answering again").count == 1)
        #expect(daemon.stop() == 0)
    }
}

/// When a failing server is logged: once per outage, again only when it fails differently, and at recovery.
struct ProbeOutagesTests {
    @Test func oneChangePerOutageAndKind() {
        let outages = ProbeOutages()
        #expect(outages.record(server: "a", outcome: .success) == nil)
        #expect(outages.record(server: "a", outcome: .timeout) == .failing(problem: "timeout"))
        #expect(outages.record(server: "a", outcome: .timeout) == nil)
        #expect(outages.record(server: "b", outcome: .error("status 500")) == .failing(problem: "status 500"))
        #expect(outages.record(server: "a", outcome: .error("connection refused")) == .failing(problem: "connection refused"))
        #expect(outages.record(server: "a", outcome: .error("connection refused")) == nil)
        #expect(outages.failing == ["a", "b"])
        #expect(outages.record(server: "a", outcome: .success) == .recovered(failedRounds: 4))
        #expect(outages.record(server: "a", outcome: .success) == nil)
        #expect(outages.failing == ["b"])
    }
}
