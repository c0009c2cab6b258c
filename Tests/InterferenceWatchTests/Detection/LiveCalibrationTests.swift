import AsyncHTTPClient
import Detectors
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import Testing

@testable import InterferenceWatch

/// `interference-watch calibrate` on this machine at small scale: four task servers in a 1.5 GiB capacity cgroup
/// with swap on, the real daemon watching. Pressure rises until latency breaks; every allocator process and its
/// cgroup are gone afterwards, also after SIGINT or SIGKILL in the middle of a step; the knee joins the advice.
///
/// Part of the live imbalance suite, which runs its tests one at a time: two memory experiments side by side would
/// each measure the other.
extension LiveImbalanceTests {
    /// Pids of running allocator processes (their command line names the hidden subcommand).
    static func allocatorPids() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: cmdline, as: UTF8.self).contains("_calibration-allocator")
        }
    }

    static func calibrate(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.binary)
        process.arguments = ["calibrate"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits (bounded) for the process to exit.
    static func exited(_ process: Process, within seconds: Double) async -> Bool {
        await eventually(within: seconds, every: .milliseconds(200)) { !process.isRunning }
    }

    @Test func calibrationFindsTheKneeReleasesEverythingAndTheAdviceMovesAboveIt() async throws {
        let capacity = try LiveCgroup(name: "calibration")
        try capacity.write("memory.limit_in_bytes", "\(1536 << 20)")
        var servers: [LiveCgroup] = []
        defer { servers.removeAll() }
        var ports: [Int] = []
        for index in 1...4 {
            let cgroup = try LiveCgroup(under: capacity, name: "s\(index)")
            let port = LoopbackPort.free()
            try cgroup.spawn(["python3", Self.taskServer, "--bind", "127.0.0.1", "--port", "\(port)", "--writes", "100000",
                              "--heap-mb", "96", "--quiet"])
            servers.append(cgroup)
            ports.append(port)
        }
        for port in ports {
            let up = await LiveCgroup.waitUntil(seconds: 20) {
                let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
                return (try? await HTTPClient.shared.execute(request, timeout: .seconds(2)))?.status == .ok
            }
            try #require(up, "task server on port \(port) did not start")
        }
        let tree = try TemporaryTree()
        let lines = (0..<4).map { "      - {name: s\($0 + 1), url: \"http://127.0.0.1:\(ports[$0])/task\", cgroup: \(servers[$0].path)}" }
        try tree.write("config.yaml", """
            groups:
              - name: lab
                probe: {interval: 100ms, timeout: 20s}
                servers:
            \(lines.joined(separator: "\n"))

            """)
        let daemon = try await DaemonProcess(arguments: [
            "--config", tree.root + "/config.yaml", "--collection.interval", "1s", "--detection.window", "5s",
            "--storage.path", tree.root + "/state", "--no-collector.process", "--capacity.cgroup", capacity.path,
            "--advice.granularity", "256MiB",
        ])
        defer { daemon.stop() }
        let url = "http://\(daemon.address)"
        let allocatorCgroup = LiveCgroup.memoryRoot + capacity.path + "/" + MinimumHostMemoryAdvisor.calibrationCgroupName

        // The dry run prints the plan and touches nothing.
        let dry = try await BinaryRun.run(["calibrate", "--daemon.url", url, "--dry-run", "--path.cgroupfs", "/sys/fs/cgroup"])
        #expect(dry.status == 0 && dry.stdout.contains("Calibration plan for the capacity cgroup \(capacity.path)"), "\(dry)")
        #expect(dry.stdout.contains(allocatorCgroup), "\(dry)")
        #expect(!FileManager.default.fileExists(atPath: allocatorCgroup) && Self.allocatorPids().isEmpty)

        // SIGKILL in the middle of a step: the allocators die with the calibration (their cgroup is left empty, and
        // the next calibration removes it).
        let killed = try Self.calibrate(["--daemon.url", url, "--windows", "1", "--baseline-wait", "120s"])
        #expect(await eventually(within: 180, every: .milliseconds(200)) { !Self.allocatorPids().isEmpty }, "no allocator started")
        kill(killed.processIdentifier, SIGKILL)
        #expect(await Self.exited(killed, within: 10))
        #expect(await eventually(within: 10, every: .milliseconds(100)) { Self.allocatorPids().isEmpty }, "allocators outlived SIGKILL")

        // SIGINT in the middle of a step: released at once, the cgroup removed, exit status 130.
        let interrupted = try Self.calibrate(["--daemon.url", url, "--windows", "1", "--baseline-wait", "120s"])
        #expect(await eventually(within: 180, every: .milliseconds(200)) { !Self.allocatorPids().isEmpty }, "no allocator started")
        kill(interrupted.processIdentifier, SIGINT)
        #expect(await Self.exited(interrupted, within: 30))
        #expect(interrupted.terminationStatus == 130)
        #expect(Self.allocatorPids().isEmpty && !FileManager.default.fileExists(atPath: allocatorCgroup))

        // The whole calibration: steps of 256 MiB until latency breaks.
        let output = tree.root + "/calibration.json"
        let run = try Self.calibrate(["--daemon.url", url, "--windows", "3", "--time-limit", "5m", "--baseline-wait", "150s",
                                      "--reserve", "128MiB", "--format", "json", "--output", output])
        #expect(await Self.exited(run, within: 420), "calibration did not end within its time limit")
        #expect(run.terminationStatus == 0, "\(daemon.log.suffix(2000))")
        #expect(Self.allocatorPids().isEmpty && !FileManager.default.fileExists(atPath: allocatorCgroup))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any])
        let steps = try #require(json["steps"] as? [[String: Any]])
        let reason = json["stop_reason"] as? String ?? ""
        print("calibration: \(steps.count) steps, stopped: \(reason)")
        #expect(["finding", "slowdown"].contains(reason), "\(json)")
        #expect(steps.count >= 3)
        #expect(steps.contains { ($0["swap_in_bytes_per_second"] as? Double ?? 0) > 0 }, "no swap activity: \(steps)")
        let knee = try #require(json["knee"] as? [String: Any])
        let unsafe = try #require(knee["unsafe"] as? [String: Any], "\(json)")
        let unsafeAvailable = try #require(unsafe["available_bytes"] as? UInt64)

        // The daemon took it: the advice's knee, above which the recommendation now lies.
        let adviceBody = try await daemon.get("/api/v1/advice").body
        let document = try #require(try JSONSerialization.jsonObject(with: Data(adviceBody.utf8)) as? [String: Any])
        #expect(document["calibrating"] as? Bool == false)
        let advice = try #require(document["advice"] as? [String: Any])
        #expect(advice["calibrated_at_seconds"] as? Double == json["ended_at_seconds"] as? Double)
        let adviceKnee = try #require(advice["knee"] as? [String: Any])
        let floor = try #require(adviceKnee["floor_bytes"] as? UInt64, "\(adviceBody)")
        let minimum = try #require(advice["minimum_bytes"] as? UInt64)
        let demand = try #require(advice["demand_bytes"] as? UInt64)
        #expect(minimum >= floor && minimum - demand > unsafeAvailable, "\(adviceBody)")
        // And history has it.
        let stored = try await daemon.get("/api/v1/calibration").body
        #expect(stored.contains("\"stop_reason\" : \"\(reason)\""), "\(stored)")
        servers.removeAll()
    }
}
