import Detectors
@testable import Parsers
import Foundation
import Testing

/// The built daemon's host-RAM advice on the Ubuntu 18.04 fixture: an 8 GB host swapping, like the study's small host.
struct AdviceTests {
    /// `key: N kB` from the fixture's meminfo, in bytes.
    static func meminfo(_ key: String, in root: String) throws -> UInt64 {
        let text = try String(contentsOfFile: root + "/proc/meminfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(key + ":") })
        let kilobytes = try #require(line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) })
        return kilobytes * 1024
    }

    @Test func swappingHostIsAdvisedMoreRAM() async throws {
        let root = TestPaths.fixture("ubuntu1804-v1")
        let daemon = try DaemonProcess(arguments: [
            "--path.procfs", root + "/proc", "--path.sysfs", root + "/sys", "--collection.interval", "1h",
        ])
        defer { daemon.stop() }
        let response = try await daemon.get("/api/v1/advice")
        #expect(response.status == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        let advice = try #require(body["advice"] as? [String: Any], "\(response.body)")
        let peak = try #require(advice["peak"] as? [String: Any])

        let total = try Self.meminfo("MemTotal", in: root)
        let used = total - (try Self.meminfo("MemAvailable", in: root))
        let swapped = try Self.meminfo("SwapTotal", in: root) - Self.meminfo("SwapFree", in: root)
            - Self.meminfo("SwapCached", in: root)
        #expect(peak["used_bytes"] as? UInt64 == used)
        #expect(peak["swapped_bytes"] as? UInt64 == swapped)
        #expect(peak["ballooned_bytes"] as? UInt64 == 0)
        #expect(peak["demand_bytes"] as? UInt64 == used + swapped)
        // Whole GiB at or above the peak plus 10 %, and less than one GiB above it.
        let gib: UInt64 = 1 << 30
        let minimum = try #require(advice["minimum_bytes"] as? UInt64)
        #expect(minimum % gib == 0)
        #expect(Double(minimum) >= Double(used + swapped) * 1.1 && Double(minimum) < Double(used + swapped) * 1.1 + Double(gib))
        #expect(minimum > total, "a swapping 8 GB host must be advised more RAM than it has")
        #expect(advice["shortfall_bytes"] as? UInt64 == minimum - total)

        let metrics = Exposition(text: try await daemon.get("/metrics").body)
        #expect(metrics.value("interferencewatch_host_memory_recommended_minimum_bytes") == Double(minimum))
        #expect(metrics.value("interferencewatch_host_memory_shortfall_bytes") == Double(minimum - total))
        #expect(metrics.value("interferencewatch_host_memory_demand_bytes", ["part": "swapped"]) == Double(swapped))
        #expect(daemon.stop() == 0)
    }
}
