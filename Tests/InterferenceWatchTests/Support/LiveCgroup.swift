import Detectors
@testable import Parsers
import Foundation
import Glibc

/// A real cgroup in the v1 memory hierarchy and, on hybrid hosts, the same path in the unified tree.
///
/// Removed (its processes killed first) when released.
final class LiveCgroup {
    static let memoryRoot = "/sys/fs/cgroup/memory"
    static let unifiedRoot = "/sys/fs/cgroup/unified"

    /// Root, a v1 memory hierarchy we can create cgroups in, and `stress` to allocate with.
    static var available: Bool {
        getuid() == 0 && FileManager.default.fileExists(atPath: memoryRoot + "/memory.usage_in_bytes")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/stress")
    }

    static var swapEnabled: Bool {
        guard let swaps = try? String(contentsOfFile: "/proc/swaps", encoding: .utf8) else { return false }
        return swaps.split(separator: "\n").count > 1
    }

    /// Path relative to the hierarchy roots, e.g. `/iw-test/usage-123`.
    let path: String
    private var processes: [Process] = []

    convenience init(name: String) throws {
        try self.init(path: "/iw-test/\(name)-\(getpid())")
    }

    /// A cgroup inside `parent` (release it before the parent: a cgroup with children cannot be removed).
    convenience init(under parent: LiveCgroup, name: String) throws {
        try self.init(path: parent.path + "/" + name)
    }

    private init(path: String) throws {
        self.path = path
        for root in [Self.memoryRoot, Self.unifiedRoot] where FileManager.default.fileExists(atPath: root) {
            try FileManager.default.createDirectory(atPath: root + self.path, withIntermediateDirectories: true)
        }
    }

    func write(_ file: String, _ value: String) throws {
        try value.write(toFile: Self.memoryRoot + self.path + "/" + file, atomically: false, encoding: .utf8)
    }

    /// Lowers the v1 memory limit to `bytes` in 16 MiB steps: v1 answers EBUSY when one write asks it to reclaim
    /// more than it manages in its few retries, so a big cut is made the way an operator would, gradually.
    func squeeze(toBytes bytes: UInt64) async throws {
        var current = (UInt64(try self.read("memory.usage_in_bytes")) ?? bytes) / (16 << 20) * (16 << 20) + (16 << 20)
        while true {
            current = max(bytes, current > (16 << 20) ? current - (16 << 20) : bytes)
            var attempts = 0
            while true {
                do {
                    try self.write("memory.limit_in_bytes", "\(current)")
                    break
                } catch {
                    attempts += 1
                    if attempts >= 20 { throw error }
                    try await Task.sleep(for: .milliseconds(200))  // suspends: a squeeze can take seconds
                }
            }
            if current == bytes { return }
        }
    }

    func read(_ file: String) throws -> String {
        try String(contentsOfFile: Self.memoryRoot + self.path + "/" + file, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts `arguments` inside this cgroup (in both trees), so everything it allocates is charged here.
    @discardableResult
    func spawn(_ arguments: [String]) throws -> Process {
        var targets = [Self.memoryRoot + self.path + "/cgroup.procs"]
        if FileManager.default.fileExists(atPath: Self.unifiedRoot + self.path) {
            targets.append(Self.unifiedRoot + self.path + "/cgroup.procs")
        }
        let script = targets.map { "echo $$ > '\($0)'" }.joined(separator: " && ") + " && exec \"$@\""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "sh"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.processes.append(process)
        return process
    }

    /// Polls `condition` every 200 ms until it holds or `seconds` pass.
    static func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        try await eventually(within: seconds, every: .milliseconds(200), condition)
    }

    deinit {
        for root in [Self.memoryRoot, Self.unifiedRoot] {
            let procs = (try? String(contentsOfFile: root + self.path + "/cgroup.procs", encoding: .utf8)) ?? ""
            for pid in procs.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        for process in self.processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for root in [Self.memoryRoot, Self.unifiedRoot] {
            // rmdir fails while the killed processes are still exiting; retry briefly.
            for _ in 0..<50 where rmdir(root + self.path) != 0 && errno == EBUSY { usleep(100_000) }
        }
    }
}
