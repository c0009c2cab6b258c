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

    /// `interferencewatch_config_*` for one file (`daemon` or `web`).
    struct ReloadMetrics: Equatable {
        var successful: Double?
        var successAt: Double?
        var successes: Double?
        var failures: Double?

        init(_ daemon: DaemonProcess, _ config: String) async throws {
            let metrics = Exposition(text: try await daemon.get("/metrics").body)
            self.successful = metrics.value("interferencewatch_config_last_reload_successful", ["config": config])
            self.successAt = metrics.value("interferencewatch_config_last_reload_success_timestamp_seconds", ["config": config])
            self.successes = metrics.value("interferencewatch_config_reloads_total", ["config": config, "result": "success"])
            self.failures = metrics.value("interferencewatch_config_reloads_total", ["config": config, "result": "failure"])
        }
    }

    static func lines(_ daemon: DaemonProcess, _ message: String) -> [Substring] {
        daemon.log.split(separator: "\n").filter { $0.contains(message) }
    }

    @Test func sighupAppliesAGoodFileAndKeepsTheRunningConfigOnABrokenOne() async throws {
        let root = TestPaths.fixture("v2-psi")
        let tree = try TemporaryTree()
        let config = tree.root + "/config.yaml"
        try tree.write("config.yaml", "workloads: []\n")
        let daemon = try await DaemonProcess(arguments: [
            "--path.procfs", root + "/proc", "--path.sysfs", root + "/sys", "--config", config,
            "--collection.interval", "200ms", "--storage.path", tree.root + "/state",
        ])
        defer { daemon.stop() }
        #expect(try await Self.push(daemon, group: "api") == 400)  // no such group yet
        #expect(try await !Self.workloads(daemon).contains { $0.contains("workload=\"web\"") })
        // The load at start counts as a success, and no reload has happened yet.
        let started = try await ReloadMetrics(daemon, "daemon")
        #expect(started.successful == 1 && started.successes == 0 && started.failures == 0 && (started.successAt ?? 0) > 0, "\(started)")
        #expect(try await ReloadMetrics(daemon, "web").successful == nil)  // no --web.config.file, no series

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
        let good = try await ReloadMetrics(daemon, "daemon")
        #expect(good.successful == 1 && good.successes == 1 && good.failures == 0, "\(good)")
        #expect((good.successAt ?? 0) >= (started.successAt ?? .infinity))

        // A broken file: one error with file, line and what, the metrics say so, and the running config stays.
        try tree.write("config.yaml", "workloads:\n  - {name: web}\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        let failed = try await LiveCgroup.waitUntil(seconds: 20) { try await ReloadMetrics(daemon, "daemon").failures == 1 }
        #expect(failed)
        let errors = Self.lines(daemon, "config reload failed")
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first.map { $0.contains("config.yaml:2:") && $0.contains("workloads[0]") && $0.contains("level=error") } == true,
                "\(errors)")
        let broken = try await ReloadMetrics(daemon, "daemon")
        #expect(broken.successful == 0 && broken.successes == 1 && broken.successAt == good.successAt, "\(broken)")
        #expect(daemon.process.isRunning)
        #expect(try await Self.push(daemon, group: "api") == 202)
        #expect(try await Self.workloads(daemon).contains { $0.contains("workload=\"web\"") })

        // Mended: back to 1.
        try tree.write("config.yaml", "workloads:\n  - {name: web, cgroup: /system.slice/nginx.service}\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(try await LiveCgroup.waitUntil(seconds: 20) { try await ReloadMetrics(daemon, "daemon").successful == 1 })
        let mended = try await ReloadMetrics(daemon, "daemon")
        #expect(mended.successes == 2 && mended.failures == 1 && (mended.successAt ?? 0) >= (good.successAt ?? .infinity), "\(mended)")
        #expect(Self.lines(daemon, "config reload failed").count == 1)
    }

    @Test func aBrokenWebConfigOnSighupKeepsTheRunningOneAndSaysSo() async throws {
        let root = TestPaths.fixture("v2-psi")
        let tree = try TemporaryTree()
        let web = tree.root + "/web.yml"
        try tree.write("web.yml", "http_server_config:\n  headers: {X-Frame-Options: deny}\n")
        let daemon = try await DaemonProcess(arguments: ["--path.procfs", root + "/proc", "--path.sysfs", root + "/sys",
                                                   "--web.config.file", web, "--collection.interval", "200ms"])
        defer { daemon.stop() }
        // (`/metrics` is rendered once per sweep: the short interval shows each reload within a fraction of a second.)
        let started = try await ReloadMetrics(daemon, "web")
        #expect(started.successful == 1 && started.successes == 0 && started.failures == 0, "\(started)")
        #expect(try await ReloadMetrics(daemon, "daemon").successful == nil)

        try tree.write("web.yml", "http_server_config:\n  headers: {X-Powered-By: me}\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(try await LiveCgroup.waitUntil(seconds: 20) { try await ReloadMetrics(daemon, "web").failures == 1 })
        let broken = try await ReloadMetrics(daemon, "web")
        #expect(broken.successful == 0 && broken.successAt == started.successAt, "\(broken)")
        let errors = Self.lines(daemon, "web config reload failed")
        #expect(errors.count == 1 && errors.first?.contains("web.yml:2:") == true && errors.first?.contains("header not allowed") == true,
                "\(errors)")
        #expect(try await daemon.get("/metrics").status == 200)

        try tree.write("web.yml", "http_server_config:\n  headers: {X-Frame-Options: deny}\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(try await LiveCgroup.waitUntil(seconds: 20) { try await ReloadMetrics(daemon, "web").successful == 1 })
        let mended = try await ReloadMetrics(daemon, "web")
        #expect(mended.successes == 1 && mended.failures == 1 && (mended.successAt ?? 0) >= (started.successAt ?? .infinity), "\(mended)")
        #expect(Self.lines(daemon, "web config reload failed").count == 1)
    }

    @Test func sighupWithoutAConfigFileIsHarmless() async throws {
        let root = TestPaths.fixture("v2-psi")
        let daemon = try await DaemonProcess(arguments: ["--path.procfs", root + "/proc", "--path.sysfs", root + "/sys",
                                                   "--collection.interval", "1h"])
        defer { daemon.stop() }
        kill(daemon.process.processIdentifier, SIGHUP)
        let logged = await LiveCgroup.waitUntil(seconds: 10) { daemon.log.contains("no --config file") }
        #expect(logged)
        #expect(daemon.process.isRunning)
        #expect(try await daemon.get("/metrics").status == 200)
    }
}
