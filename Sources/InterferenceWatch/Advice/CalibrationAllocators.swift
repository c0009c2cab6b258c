import Detectors
import Foundation
import Glibc
import Synchronization

/// The calibration's allocator processes and the cgroup they live in, and the one way to get rid of both.
///
/// The cgroup is `<capacity cgroup or root>/interference-watch-calibration` in the memory hierarchy, with its own
/// hard limit at the plan's ceiling, so the allocators together can never hold more. ``release()`` kills every
/// process in it and removes it; it is safe to call from a signal handler's queue, more than once, and at start to
/// clear what a killed calibration left behind.
final class CalibrationAllocators: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The cgroup directory.
    let directory: String
    private let layout: CgroupLayout
    private let executable: String
    private let processes = Mutex<[Process]>([])

    init(cgroupRoot: String, capacityCgroup: String?, executable: String) throws {
        guard let layout = CgroupLayout.detect(root: cgroupRoot) else {
            throw Failure(description: "no cgroup memory hierarchy under \(cgroupRoot)")
        }
        self.layout = layout
        self.directory = layout.walkRoot + (capacityCgroup ?? "") + "/" + MinimumHostMemoryAdvisor.calibrationCgroupName
        self.executable = executable
    }

    /// Clears a stale cgroup, creates a fresh one and sets its ceiling.
    func prepare(ceilingBytes: UInt64) throws {
        self.release()
        guard FileManager.default.fileExists(atPath: (self.directory as NSString).deletingLastPathComponent) else {
            throw Failure(description: "the capacity cgroup \((self.directory as NSString).deletingLastPathComponent) does not exist")
        }
        guard mkdir(self.directory, 0o755) == 0 else {
            throw Failure(description: "cannot create \(self.directory): \(String(cString: strerror(errno)))")
        }
        let limitFile: String
        switch self.layout {
        case .v2: limitFile = self.directory + "/memory.max"
        case .v1: limitFile = self.directory + "/memory.limit_in_bytes"
        }
        do {
            try "\(ceilingBytes)\n".write(toFile: limitFile, atomically: false, encoding: .utf8)
        } catch {
            self.release()
            throw Failure(description: "cannot set the allocator's ceiling in \(limitFile) (for cgroup v2, enable the memory "
                + "controller in the parent's cgroup.subtree_control): \(error.localizedDescription)")
        }
    }

    /// Starts one more allocator holding `bytes`.
    func add(bytes: UInt64) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: self.executable)
        process.arguments = ["_calibration-allocator", "--bytes", "\(bytes)", "--cgroup-procs", self.directory + "/cgroup.procs",
                             "--parent", "\(getpid())"]
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw Failure(description: "cannot start the allocator \(self.executable): \(error.localizedDescription)")
        }
        self.processes.withLock { $0.append(process) }
        return process
    }

    /// Every allocator started and still running.
    var allRunning: Bool { self.processes.withLock { $0.allSatisfy(\.isRunning) } }

    /// Resident plus swapped memory of the allocators (from /proc), bytes.
    func heldBytes(procfs: String) -> UInt64 {
        let pids = self.processes.withLock { $0.map(\.processIdentifier) }
        var total: UInt64 = 0
        for pid in pids {
            guard let status = try? String(contentsOfFile: "\(procfs)/\(pid)/status", encoding: .utf8) else { continue }
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") || line.hasPrefix("VmSwap:") {
                let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { UInt64($0) } ?? 0
                total += kib * 1024
            }
        }
        return total
    }

    /// Kills every allocator (and anything else in the cgroup) and removes the cgroup.
    func release() {
        let started = self.processes.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for process in started where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for _ in 0..<100 {
            let procs = (try? String(contentsOfFile: self.directory + "/cgroup.procs", encoding: .utf8)) ?? ""
            for pid in procs.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            if rmdir(self.directory) == 0 || errno == ENOENT { break }
            usleep(100_000)  // the killed processes are still exiting
        }
        for process in started { process.waitUntilExit() }
    }

    /// Whether the cgroup is gone.
    var removed: Bool { !FileManager.default.fileExists(atPath: self.directory) }
}
