import Detectors
@testable import Parsers
import Foundation
import Synchronization

/// A real QEMU guest started with `contrib/lab/vm/start-vm.sh`, with two QMP sockets, for integration tests.
///
/// ``stop()`` kills it; call it from a `defer` so the VM never outlives a failed test.
struct QEMULab: Sendable {
    /// `true` when `qemu-system-x86_64` is on `PATH`.
    static let qemuAvailable: Bool = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/qemu-system-x86_64")
        }
    }()

    /// `contrib/lab/vm` of this checkout (symlinks resolved, so a scratch package pointing here works too).
    static let scriptDirectory: URL = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<4 { url.deleteLastPathComponent() }  // QMP/, InterferenceWatchTests/, Tests/, file
        return url.appendingPathComponent("contrib/lab/vm")
    }()

    let name: String
    let directory: URL
    /// The client's socket and a second one for the test to act as "another tool".
    let socketA: String
    let socketB: String
    let pid: Int32
    let accelerator: String
    let bootSeconds: Double

    /// Builds the guest if needed, starts a VM with `memoryMiB` and waits until it has booted.
    static func start(memoryMiB: Int) async throws -> QEMULab {
        let directory = URL(fileURLWithPath: "/tmp/iw-qemu-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = "iwtest-\(UUID().uuidString.prefix(6).lowercased())"
        let socketA = directory.appendingPathComponent("a.qmp").path
        let socketB = directory.appendingPathComponent("b.qmp").path
        let output = try await Self.runScript(
            "start-vm.sh", arguments: [name, "\(memoryMiB)", socketA, socketB],
            environment: ["IW_VM_RUN_DIR": directory.path], timeout: .seconds(300))
        // Last line: "pid=<pid> accel=<kvm|tcg> boot_seconds=<s>"
        var fields: [String: String] = [:]
        for field in (output.split(separator: "\n").last ?? "").split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let pid = fields["pid"].flatMap({ Int32($0) }) else {
            throw LabError(message: "start-vm.sh printed no pid: \(output)")
        }
        return QEMULab(name: name, directory: directory, socketA: socketA, socketB: socketB, pid: pid,
                       accelerator: fields["accel"] ?? "?", bootSeconds: fields["boot_seconds"].flatMap(Double.init) ?? 0)
    }

    /// Kills QEMU and removes the temporary directory. Synchronous, so it can run in `defer`.
    func stop() {
        kill(self.pid, SIGKILL)
        try? FileManager.default.removeItem(at: self.directory)
    }

    struct LabError: Error, CustomStringConvertible {
        var message: String
        var description: String { self.message }
    }

    /// Runs a script from ``scriptDirectory`` without blocking the cooperative pool; returns stdout.
    static func runScript(_ script: String, arguments: [String], environment: [String: String] = [:],
                          timeout: Duration) async throws -> String {
        let process = Process()
        process.executableURL = Self.scriptDirectory.appendingPathComponent(script)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("iw-lab-\(UUID()).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        // A file, not a pipe: the daemonized QEMU inherits nothing that would keep a pipe open.
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
            let killer = Task {
                try await Task.sleep(for: timeout)
                process.terminate()
            }
            _ = killer
        }
        try? handle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard status == 0 else { throw LabError(message: "\(script) exited with \(status): \(text)") }
        return text
    }
}
