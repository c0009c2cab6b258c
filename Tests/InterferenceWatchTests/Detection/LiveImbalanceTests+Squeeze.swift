import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import InterferenceWatch

extension LiveImbalanceTests {
    /// The four-server squeeze's set-up, shared by this suite's tests: four task servers (96 MiB heaps) in four real
    /// cgroups, group `lab` probed every 100 ms, the real daemon (1 s sweeps, 8 s windows) with its own alerts going
    /// to a ``WebhookReceiver``. ``squeeze()`` limits s2 below its heap so it swaps; ``release()`` lifts the limit.
    ///
    /// The cgroups, servers and daemon go away with the value (``stop()`` ends the daemon and the receiver early).
    final class Squeeze {
        let cgroups: [LiveCgroup]
        let ports: [Int]
        let tree: TemporaryTree
        let receiver: WebhookReceiver
        let daemon: DaemonProcess
        /// The server ``squeeze()`` limits: s2.
        var squeezed: LiveCgroup { self.cgroups[1] }

        /// Starts the servers, waits until they answer, then starts the daemon.
        ///
        /// - Parameters:
        ///   - moreGroups: config lines appended to the `groups:` list (indented as list items under it).
        ///   - moreConfig: top-level config-file sections appended after `alerts:`.
        ///   - daemonArguments: the daemon's flags besides config, storage, 1 s collection and 8 s windows.
        init(moreGroups: String = "", moreConfig: String = "", daemonArguments: [String] = ["--no-collector.process"]) async throws {
            var cgroups: [LiveCgroup] = []
            var ports: [Int] = []
            for index in 1...4 {
                let cgroup = try LiveCgroup(name: "imbalance-s\(index)")
                let port = LoopbackPort.free()
                try cgroup.spawn(["python3", LiveImbalanceTests.taskServer, "--bind", "127.0.0.1", "--port", "\(port)",
                                  "--writes", "100000", "--heap-mb", "96", "--quiet"])
                cgroups.append(cgroup)
                ports.append(port)
            }
            self.cgroups = cgroups
            self.ports = ports
            self.tree = try TemporaryTree()
            let servers = (0..<4).map { "      - {name: s\($0 + 1), url: \"http://127.0.0.1:\(ports[$0])/task\", cgroup: \(cgroups[$0].path)}" }
            // The daemon's own alerts go to a webhook receiver, so a test sees exactly what would page someone.
            self.receiver = try await WebhookReceiver()
            try self.tree.write("config.yaml", """
                groups:
                  - name: lab
                    probe: {interval: 100ms, timeout: 20s}
                    servers:
                \(servers.joined(separator: "\n"))
                \(moreGroups)
                alerts:
                  webhooks:
                    - {url: "\(self.receiver.url)/hook"}
                \(moreConfig)

                """)
            // Wait for the four servers to answer before the daemon starts probing.
            for port in ports {
                let up = await LiveCgroup.waitUntil(seconds: 20) {
                    let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
                    return (try? await HTTPClient.shared.execute(request, timeout: .seconds(2)))?.status == .ok
                }
                try #require(up, "task server on port \(port) did not start")
            }
            self.daemon = try await DaemonProcess(arguments: [
                "--config", self.tree.root + "/config.yaml", "--collection.interval", "1s", "--detection.window", "8s",
                "--storage.path", self.tree.root + "/state",
            ] + daemonArguments)
        }

        /// Waits until `count` detection windows of group `lab` have closed, so baselines and peers are learned.
        func waitForWindows(_ count: Int = 3) async throws {
            var windowEnds: Set<Double> = []
            let closed = try await eventually(within: 90, every: .milliseconds(500)) {
                let metrics = Exposition(text: try await self.daemon.get("/metrics").body)
                if let end = metrics.value("interferencewatch_detection_window_end_timestamp_seconds", ["group": "lab"]) {
                    windowEnds.insert(end)
                }
                return windowEnds.count >= count
            }
            try #require(closed, "fewer than \(count) windows closed: \(self.daemon.log.suffix(2000))")
        }

        /// Squeezes s2 below its 96 MiB heap: every request now faults its own swapped-out pages back in.
        func squeeze() async throws {
            try await self.squeezed.squeeze(toBytes: 48 << 20)
        }

        /// Polls the open findings until s2 has an imbalance finding or `seconds` pass.
        ///
        /// - Returns: whether s2 was flagged, and the last findings read.
        func waitForS2Flagged(within seconds: Double = 120) async throws -> (flagged: Bool, findings: [[String: Any]]) {
            var findings: [[String: Any]] = []
            let flagged = try await LiveCgroup.waitUntil(seconds: seconds) {
                findings = try await LiveImbalanceTests.findings(self.daemon)
                return findings.contains { ($0["server"] as? String) == "s2" && ($0["kind"] as? String) == "imbalance" }
            }
            return (flagged, findings)
        }

        /// Lifts s2's limit.
        func release() throws {
            try self.squeezed.write("memory.limit_in_bytes", "-1")
        }

        /// Stops the daemon (returning its exit status) and the receiver.
        @discardableResult
        func stop() -> Int32 {
            self.receiver.stop()
            return self.daemon.stop()
        }

        deinit {
            self.stop()
        }
    }
}
