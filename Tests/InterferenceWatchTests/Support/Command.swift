import Dispatch
import Foundation

/// Runs any program to completion with a time bound: the helper for the packaging tests (python scripts,
/// `dpkg`, `scripts/build-deb.sh`). ``BinaryRun`` runs the daemon binary itself.
enum Command {
    struct Result: CustomStringConvertible, Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
        var description: String {
            (self.timedOut ? "timed out; " : "") + "exit \(self.status)\nstdout: \(self.stdout.suffix(3000))\nstderr: \(self.stderr.suffix(3000))"
        }
    }

    /// `arguments` wrapped so the program runs with every inherited descriptor above stderr closed, for programs
    /// that leave a daemon behind (`libvirtd -d`, `podman run --detach` and its conmon).
    ///
    /// A daemon that kept them would hold the caller's pipes open, and the descriptor Foundation's `Process` watches
    /// for the child's exit, so the caller would wait for the daemon's whole life (`contrib/lab/vm/start-vm.sh` starts
    /// QEMU the same way). The outer shell keeps its own descriptors and exits with the program's status.
    static func closingInheritedDescriptors(_ arguments: [String]) -> [String] {
        let script = #"""
            (for fd in /proc/self/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then
                 eval "exec $fd>&-" 2>/dev/null || true; fi; done; exec "$@")
            """#
        return ["/bin/bash", "-c", script, "bash"] + arguments
    }

    /// Runs `arguments[0]` (a path, or a name looked up in `PATH`) with the rest as its arguments, under
    /// coreutils' `timeout`: after `timeoutSeconds` it signals the command's whole process group (SIGTERM, SIGKILL
    /// 10 s later), so a build the command started stops too. The wait happens off the cooperative pool
    /// (``offPool(_:)``).
    static func run(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
                    timeoutSeconds: Int = 60) async throws -> Result {
        try await offPool {
            try Self.runBlocking(arguments, environment: environment, directory: directory,
                                 timeoutSeconds: timeoutSeconds)
        }
    }

    /// ``run(_:environment:directory:timeoutSeconds:)`` holding the calling thread: only for clean-up in `defer` and
    /// `deinit`, which cannot suspend.
    static func runBlocking(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
                            timeoutSeconds: Int = 60) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["--kill-after=10", "\(timeoutSeconds)"] + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        process.waitUntilExit()
        group.wait()
        // timeout(1) exits 124 when the time ran out (137 when SIGKILL was needed).
        let status = process.terminationStatus
        return Result(status: status, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), timedOut: status == 124 || status == 137)
    }
}
