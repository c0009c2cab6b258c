import Foundation
import Synchronization

/// Runs `virsh` with a timeout and returns its standard output.
///
/// libvirt owns the QMP monitor of its domains, so InterferenceWatch never connects to those sockets; it asks
/// libvirt through `virsh` instead (no libvirt-dev needed at build time, and `test:///default` makes it testable).
/// The process is spawned with `LC_ALL=C` because virsh translates its `dominfo` labels.
///
/// Nothing here blocks Swift's cooperative pool: completion arrives through `terminationHandler`, the pipes are
/// drained on a dedicated thread each, and the timeout is a sleeping task that kills the process.
struct VirshRunner: Sendable {
    /// The `virsh` executable, or `nil` when it is not installed.
    let executable: String?

    /// - Parameter executable: an explicit path; `nil` searches `PATH` (then `/usr/bin`, `/usr/local/bin`).
    init(executable: String? = nil) {
        if let executable {
            self.executable = FileManager.default.isExecutableFile(atPath: executable) ? executable : nil
        } else {
            self.executable = Self.find("virsh")
        }
    }

    /// `true` when a `virsh` executable was found.
    var isAvailable: Bool { self.executable != nil }

    /// Runs `virsh <arguments>` and returns its standard output.
    ///
    /// - Throws: ``LibvirtError``: `.unavailable` without virsh, `.timeout`, `.connectFailed` when virsh reached no
    ///   libvirtd, or `.failed` with virsh's stderr.
    func run(_ arguments: [String], timeout: Duration) async throws(LibvirtError) -> String {
        let command = (["virsh"] + arguments).joined(separator: " ")
        guard let executable = self.executable else {
            throw LibvirtError(command: command,
                               kind: .unavailable("no virsh executable found (apt-get install libvirt-clients)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        process.environment = environment
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice

        let exit = ProcessExit()
        process.terminationHandler = { exit.finish(status: $0.terminationStatus) }
        do {
            try process.run()
        } catch {
            throw LibvirtError(command: command, kind: .launchFailed("\(error)"))
        }
        // Drain both pipes while the process runs, so a large output cannot fill the pipe and stall virsh.
        let output = PipeReader(stdout.fileHandleForReading)
        let errors = PipeReader(stderr.fileHandleForReading)

        let timedOut = Mutex(false)
        let killer = Task {
            try await Task.sleep(for: timeout)
            timedOut.withLock { $0 = true }
            process.terminate()
            try await Task.sleep(for: .milliseconds(500))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let status = await exit.wait()
        killer.cancel()
        let outputData = await output.data()
        let errorData = await errors.data()

        if timedOut.withLock({ $0 }) {
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            throw LibvirtError(command: command, kind: .timeout(seconds: seconds))
        }
        guard status == 0 else {
            let message = String(decoding: errorData, as: UTF8.self)
                .split(whereSeparator: \.isNewline).joined(separator: " ")
                .trimmingCharacters(in: .whitespaces)
            throw LibvirtError.exited(command: command, status: status, stderr: message)
        }
        return String(decoding: outputData, as: UTF8.self)
    }

    private static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// The exit status of a process, delivered once to one waiter whichever comes first.
private final class ProcessExit: Sendable {
    private struct State {
        var status: Int32?
        var waiter: CheckedContinuation<Int32, Never>?
    }

    private let state = Mutex(State())

    func finish(status: Int32) {
        let waiter = self.state.withLock { state -> CheckedContinuation<Int32, Never>? in
            state.status = status
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: status)
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = self.state.withLock { state -> Int32? in
                if state.status == nil { state.waiter = continuation }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }
}

/// Reads a pipe to EOF on its own thread (a blocking read must not run on the cooperative pool).
private final class PipeReader: Sendable {
    private struct State {
        var data: Data?
        var waiter: CheckedContinuation<Data, Never>?
    }

    private let state = Mutex(State())

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            let data = handle.readDataToEndOfFile()
            try? handle.close()
            let waiter = self.state.withLock { state -> CheckedContinuation<Data, Never>? in
                state.data = data
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: data)
        }
        thread.start()
    }

    func data() async -> Data {
        await withCheckedContinuation { continuation in
            let data = self.state.withLock { state -> Data? in
                if state.data == nil { state.waiter = continuation }
                return state.data
            }
            if let data { continuation.resume(returning: data) }
        }
    }
}
