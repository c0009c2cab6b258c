import Detectors
@testable import Parsers
import Foundation

/// Locations the tests use, found from this file's path (no working-directory assumptions).
enum TestPaths {
    /// `Tests/InterferenceWatchTests`.
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let packageRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    static let golden = testsDirectory.appendingPathComponent("Golden")

    /// The built daemon: `IW_BINARY`, else the debug build `swift test` just made.
    static var binary: String {
        if let override = ProcessInfo.processInfo.environment["IW_BINARY"] { return override }
        return packageRoot.appendingPathComponent(".build/debug/interference-watch").path
    }

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
}
