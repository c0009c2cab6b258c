import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `systemctl reload` sends SIGHUP: the daemon re-reads its config file and applies it, and a broken file keeps the
/// running config with one error naming the file and line. Either way it keeps serving.
@Suite(.serialized)
struct ReloadTests {
    static func push(_ daemon: DaemonProcess, group: String) async throws -> Int {
        var request = HTTPClientRequest(url: "http://\(daemon.address)/api/v1/samples")
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: #"[{"group": "\#(group)", "server": "s1", "seconds": 0.5}]"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return Int(response.status.code)
    }

    static func workloads(_ daemon: DaemonProcess) async throws -> [Substring] {
        Exposition(text: try await daemon.get("/metrics").body).lines("interferencewatch_workload_memory_usage_bytes")
    }

    @Test func sighupAppliesAGoodFileAndKeepsTheRunningConfigOnABrokenOne() async throws {
        let root = TestPaths.fixture("v2-psi")
        let tree = try TemporaryTree()
        let config = tree.root + "/config.yaml"
        try tree.write("config.yaml", "workloads: []\n")
        let daemon = try DaemonProcess(arguments: [
            "--path.procfs", root + "/proc", "--path.sysfs", root + "/sys", "--config", config,
            "--collection.interval", "200ms", "--storage.path", tree.root + "/state",
        ])
        defer { daemon.stop() }
        #expect(try await Self.push(daemon, group: "api") == 400)  // no such group yet
        #expect(try await !Self.workloads(daemon).contains { $0.contains("workload=\"web\"") })

        // A good file: a named cgroup and a group appear without a restart.
        try tree.write("config.yaml", """
            workloads:
              - {name: web, cgroup: /system.slice/nginx.service}
            groups:
              - name: api
                servers:
                  - {name: s1, workload: web}
                  - {name: s2, workload: postgresql.service}

            """)
        kill(daemon.process.processIdentifier, SIGHUP)
        let applied = try await LiveCgroup.waitUntil(seconds: 20) {
            try await Self.workloads(daemon).contains { $0.contains("workload=\"web\"") }
        }
        #expect(applied, "log:\n\(daemon.log.suffix(2000))")
        #expect(try await Self.push(daemon, group: "api") == 202)
        #expect(daemon.log.contains("msg=\"config reloaded\""))

        // A broken file: one error with file and line, and the running config stays.
        try tree.write("config.yaml", "workloads:\n  - {name: web}\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        let logged = await LiveCgroup.waitUntil(seconds: 20) { daemon.log.contains("config reload failed") }
        #expect(logged)
        let line = daemon.log.split(separator: "\n").first { $0.contains("config reload failed") } ?? ""
        #expect(line.contains("config.yaml:2:"), "\(line)")
        #expect(daemon.process.isRunning)
        #expect(try await Self.push(daemon, group: "api") == 202)
        #expect(try await Self.workloads(daemon).contains { $0.contains("workload=\"web\"") })
    }

    @Test func sighupWithoutAConfigFileIsHarmless() async throws {
        let root = TestPaths.fixture("v2-psi")
        let daemon = try DaemonProcess(arguments: ["--path.procfs", root + "/proc", "--path.sysfs", root + "/sys",
                                                   "--collection.interval", "1h"])
        defer { daemon.stop() }
        kill(daemon.process.processIdentifier, SIGHUP)
        let logged = await LiveCgroup.waitUntil(seconds: 10) { daemon.log.contains("no --config file") }
        #expect(logged)
        #expect(daemon.process.isRunning)
        #expect(try await daemon.get("/metrics").status == 200)
    }
}
