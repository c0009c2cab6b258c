import Dispatch
import Foundation

/// Runs the built binary with arguments to completion: the one helper for the command tests (report, replay,
/// check-config, a refused start-up).
enum BinaryRun {
    struct Result: CustomStringConvertible, Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(self.status)\nstdout: \(self.stdout.prefix(2000))\nstderr: \(self.stderr.prefix(2000))" }
    }

    /// Runs the binary and waits for it off the cooperative pool (``offPool(_:)``).
    static func run(_ arguments: [String]) async throws -> Result {
        try await offPool { try Self.runBlocking(arguments) }
    }

    private static func runBlocking(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Standard error is read on a thread of its own, so a chatty command never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async {
            errorData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: errorData, as: UTF8.self))
    }
}
