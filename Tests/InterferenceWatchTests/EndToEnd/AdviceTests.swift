import Detectors
@testable import Parsers
import Foundation
import Testing

/// The built daemon's host-RAM advice on the fixture trees: the API, the metrics, the scope flag and `recommend`.
struct AdviceTests {
    static let gib: UInt64 = 1 << 30

    /// `key: N kB` from the fixture's meminfo, in bytes.
    static func meminfo(_ key: String, in root: String) throws -> UInt64 {
        let text = try String(contentsOfFile: root + "/proc/meminfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(key + ":") })
        let kilobytes = try #require(line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) })
        return kilobytes * 1024
    }

    static func advice(_ daemon: DaemonProcess) async throws -> [String: Any] {
        let response = try await daemon.get("/api/v1/advice")
        #expect(response.status == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        return try #require(body["advice"] as? [String: Any], "\(response.body)")
    }

    @Test func aSwappingHostsAdviceCountsItsWorkloadsAndNotItsColdSwap() async throws {
        let root = TestPaths.fixture("ubuntu1804-v1")
        let daemon = try await DaemonProcess(arguments: [
            "--path.procfs", root + "/proc", "--path.sysfs", root + "/sys", "--collection.interval", "1h",
        ])
        defer { daemon.stop() }
        let advice = try await Self.advice(daemon)
        let peak = try #require(advice["peak"] as? [String: Any])

        // Today's raw fields keep their meaning: the peak's used, swapped and ballooned parts as read.
        let total = try Self.meminfo("MemTotal", in: root)
        let used = total - (try Self.meminfo("MemAvailable", in: root))
        let swapped = try Self.meminfo("SwapTotal", in: root) - Self.meminfo("SwapFree", in: root)
            - Self.meminfo("SwapCached", in: root)
        #expect(peak["used_bytes"] as? UInt64 == used)
        #expect(peak["swapped_bytes"] as? UInt64 == swapped)
        #expect(peak["demand_bytes"] as? UInt64 == used + swapped)

        // One sweep has read nothing back from swap: the demand is what is in use, without the swap.
        let demand = try #require(advice["demand_bytes"] as? UInt64)
        #expect(demand > 0 && demand <= used, "demand \(demand), used \(used)")
        let minimum = try #require(advice["minimum_bytes"] as? UInt64)
        #expect(minimum % Self.gib == 0)
        #expect(Double(minimum) >= Double(demand) * 1.15 && Double(minimum) < Double(demand) * 1.15 + Double(Self.gib))
        #expect(advice["installed_bytes"] as? UInt64 == total)
        #expect(advice["shortfall_bytes"] as? UInt64 == (minimum > total ? minimum - total : 0))
        #expect(advice["verdict"] as? String == (minimum > total ? "short" : "enough"))
        let reasons = try #require(advice["reasons"] as? [String])
        #expect(reasons.contains { $0.contains("none of it was read back") }, "\(reasons)")
        #expect(reasons.contains { $0.hasPrefix("Not enough history") }, "\(reasons)")
        let confidence = try #require(advice["confidence"] as? [String: Any])
        #expect(confidence["enough"] as? Bool == false)
        let workloads = try #require(advice["workloads"] as? [[String: Any]])
        #expect(!workloads.isEmpty && workloads.allSatisfy { ($0["estimate_bytes"] as? UInt64 ?? 0) > 0 })

        let metrics = Exposition(text: try await daemon.get("/metrics").body)
        #expect(metrics.value("interferencewatch_host_memory_recommended_minimum_bytes") == Double(minimum))
        #expect(metrics.value("interferencewatch_host_memory_demand_bytes", ["part": "swapped"]) == Double(swapped))
        #expect(metrics.value("interferencewatch_host_memory_advice_confident") == 0)
        #expect(metrics.value("interferencewatch_host_memory_advice_installed_bytes") == Double(total))
        // The breakdown adds up to the estimate before rounding.
        let parts = metrics.lines("interferencewatch_host_memory_advice_breakdown_bytes")
        let sum = parts.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
        let estimate = try #require(advice["estimate_bytes"] as? UInt64)
        #expect(abs(sum - Double(estimate)) <= 2, "breakdown \(sum), estimate \(estimate)")
        #expect(parts.contains { $0.contains("part=\"margin\"") })
        #expect(daemon.stop() == 0)
    }

    @Test func aCapacityCgroupScopesTheAdviceAndAMissingOneGivesNone() async throws {
        let root = TestPaths.fixture("v2-psi")
        let daemon = try await DaemonProcess(arguments: [
            "--path.procfs", root + "/proc", "--path.sysfs", root + "/sys", "--collection.interval", "1h",
            "--capacity.cgroup", "/system.slice",
        ])
        defer { daemon.stop() }
        let advice = try await Self.advice(daemon)
        #expect(advice["scope"] as? String == "/system.slice")
        let workloads = try #require(advice["workloads"] as? [[String: Any]])
        #expect(!workloads.isEmpty)
        let metrics = Exposition(text: try await daemon.get("/metrics").body)
        let names = Set(metrics.lines("interferencewatch_workload_memory_usage_bytes").compactMap { line -> String? in
            guard line.contains("cgroup=\"/system.slice/") else { return nil }
            return line.components(separatedBy: "workload=\"").dropFirst().first?.components(separatedBy: "\"").first
        })
        #expect(Set(workloads.compactMap { $0["workload"] as? String }).isSubset(of: names), "\(workloads) vs \(names)")
        #expect(daemon.stop() == 0)

        let missing = try await DaemonProcess(arguments: [
            "--path.procfs", root + "/proc", "--path.sysfs", root + "/sys", "--collection.interval", "1h",
            "--capacity.cgroup", "/no-such.slice",
        ])
        defer { missing.stop() }
        let response = try await missing.get("/api/v1/advice")
        #expect(response.status == 200 && !response.body.contains("\"minimum_bytes\""), "\(response.body)")
        // The daemon goes on serving everything else.
        #expect(try await missing.get("/metrics").body.contains("interferencewatch_host_memory_available_bytes"))
    }

    /// Alone, `calibrate` starts a daemon of its own for the plan and stops it again; a dry run touches nothing.
    @Test func calibrateAloneStartsItsOwnDaemonForADryRun() async throws {
        let root = TestPaths.fixture("v2-psi")
        let tree = try TemporaryTree()
        try tree.write("config.yaml", "workloads: []\n")
        let result = try await BinaryRun.run(["calibrate", "--config", tree.root + "/config.yaml", "--storage.path", tree.root + "/state",
                                        "--path.procfs", root + "/proc", "--path.cgroupfs", root + "/sys/fs/cgroup", "--dry-run",
                                        "--step", "1GiB", "--reserve", "512MiB", "--format", "json"])
        #expect(result.status == 0, "\(result)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
        let steps = try #require(plan["steps"] as? [UInt64])
        #expect(steps.first == 0 && steps.count >= 2 && steps.dropFirst().allSatisfy { $0 % (1 << 30) == 0 })
        #expect(plan["allocator_cgroup"] as? String == root + "/sys/fs/cgroup/" + MinimumHostMemoryAdvisor.calibrationCgroupName)
        #expect(!FileManager.default.fileExists(atPath: root + "/sys/fs/cgroup/" + MinimumHostMemoryAdvisor.calibrationCgroupName))
        // Its daemon ran (it kept history where it was told) and is gone.
        #expect(FileManager.default.fileExists(atPath: tree.root + "/state/history.sqlite"))
        #expect(!result.stderr.contains("level=error"), "\(result.stderr)")
        // Without a daemon or a config there is nothing to measure.
        let bare = try await BinaryRun.run(["calibrate"])
        #expect(bare.status != 0 && bare.stderr.contains("--daemon.url"), "\(bare)")
    }
}
