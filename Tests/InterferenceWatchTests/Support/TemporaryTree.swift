import Detectors
@testable import Parsers
import Foundation

/// A throwaway directory tree for malformed-input cases, removed when the value is released.
final class TemporaryTree {
    let root: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("iw-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        self.root = base.path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.root)
    }

    /// Writes `contents` at `relative`, creating parent directories.
    func write(_ relative: String, _ contents: String) throws {
        let path = self.root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: self.root + "/" + relative)
    }
}
