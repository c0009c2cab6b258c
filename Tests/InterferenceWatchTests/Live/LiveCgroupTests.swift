import Detectors
@testable import Parsers
import Foundation
import Testing

/// Real cgroups on this host, real allocations, the real daemon reading them.
@Suite(.serialized, .enabled(if: LiveCgroup.available, "needs root, a v1 memory hierarchy and stress(1)"))
struct LiveCgroupTests {
    static let mebibyte = 1024.0 * 1024

    private func startDaemon(naming cgroup: LiveCgroup, as name: String) async throws -> (DaemonProcess, TemporaryTree) {
        let tree = try TemporaryTree()
        try tree.write("config.yaml", "workloads:\n  - {name: \(name), cgroup: \(cgroup.path)}\n")
        let daemon = try await DaemonProcess(arguments: ["--config", tree.root + "/config.yaml", "--collection.interval", "500ms"])
        return (daemon, tree)
    }

    @Test func reportedUsageMatchesARealAllocation() async throws {
        let cgroup = try LiveCgroup(name: "usage")
        try cgroup.spawn(["stress", "--vm", "1", "--vm-bytes", "64M", "--vm-hang", "0"])
        // Wait for the allocation itself (read straight from the kernel), then compare what the daemon says.
        let allocated = await LiveCgroup.waitUntil(seconds: 30) {
            (Double((try? cgroup.read("memory.usage_in_bytes")) ?? "0") ?? 0) >= 64 * Self.mebibyte
        }
        #expect(allocated, "stress did not allocate 64 MiB in \(cgroup.path)")
        let (daemon, _) = try await self.startDaemon(naming: cgroup, as: "live-usage")
        defer { daemon.stop() }
        let labels = ["workload": "live-usage", "type": "cgroup", "cgroup": cgroup.path]
        var usage: Double?
        var exposition = Exposition(text: "")
        _ = try await LiveCgroup.waitUntil(seconds: 10) {
            exposition = Exposition(text: try await daemon.get("/metrics").body)
            usage = exposition.value("interferencewatch_workload_memory_usage_bytes", labels)
            return (usage ?? 0) >= 64 * Self.mebibyte
        }
        let reported = try #require(usage, "no usage series for \(cgroup.path)")
        // 64 MiB of anonymous memory plus the stress and shell binaries' pages: never less, at most a few MiB more.
        #expect(reported >= 64 * Self.mebibyte)
        #expect(reported <= 80 * Self.mebibyte)
        let anon = try #require(exposition.value("interferencewatch_workload_memory_anon_bytes", labels))
        #expect(anon >= 63 * Self.mebibyte && anon <= 72 * Self.mebibyte)
        #expect(exposition.value("interferencewatch_workload_memory_limit_bytes", labels) == nil)  // unlimited
        if FileManager.default.fileExists(atPath: LiveCgroup.unifiedRoot + cgroup.path + "/memory.pressure") {
            #expect(exposition.value("interferencewatch_workload_pressure_memory_waiting_seconds_total", labels) != nil)
        }
    }

    @Test(.enabled(if: LiveCgroup.swapEnabled, "needs swap (scripts/test.sh enables a swap file)"))
    func tightLimitMakesTheWorkloadSwap() async throws {
        let cgroup = try LiveCgroup(name: "swap")
        try cgroup.write("memory.limit_in_bytes", "\(48 * 1024 * 1024)")
        let (daemon, _) = try await self.startDaemon(naming: cgroup, as: "live-swap")
        defer { daemon.stop() }
        let before = Exposition(text: try await daemon.get("/metrics").body)
        let swapOutBefore = try #require(before.value("interferencewatch_host_swap_out_bytes_total"))
        try cgroup.spawn(["stress", "--vm", "1", "--vm-bytes", "128M", "--vm-hang", "0"])

        let labels = ["workload": "live-swap", "cgroup": cgroup.path]
        var after = before
        let swapped = try await LiveCgroup.waitUntil(seconds: 60) {
            after = Exposition(text: try await daemon.get("/metrics").body)
            return (after.value("interferencewatch_workload_swap_usage_bytes", labels) ?? 0) >= 64 * Self.mebibyte
        }
        #expect(swapped, "workload swap stayed at \(after.value("interferencewatch_workload_swap_usage_bytes", labels) ?? -1)")
        let usage = try #require(after.value("interferencewatch_workload_memory_usage_bytes", labels))
        #expect(usage <= 48 * Self.mebibyte)
        #expect(after.value("interferencewatch_workload_memory_limit_bytes", labels) == 48 * Self.mebibyte)
        let swapOutAfter = try #require(after.value("interferencewatch_host_swap_out_bytes_total"))
        #expect(swapOutAfter - swapOutBefore >= 64 * Self.mebibyte)
        #expect((after.value("interferencewatch_workload_memory_events_total", labels.merging(["event": "max"]) { $1 }) ?? 0) > 0)
    }
}
