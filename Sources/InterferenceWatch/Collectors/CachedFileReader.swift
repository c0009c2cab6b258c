import CProc2
import Glibc

/// Reads small kernel files (procfs, cgroupfs), keeping their descriptors open between sweeps.
///
/// Kernel seq_file based files regenerate their content on every read at offset 0, so a descriptor opened once can
/// be re-read with `pread(fd, buf, n, 0)`. That saves the open/close pair per file per sweep, which dominates the
/// cost of a 1000-cgroup sweep. Descriptors not used during a sweep are closed at ``endSweep()`` so vanished cgroups
/// release their kernfs nodes. Files on ordinary filesystems (fixture trees) are never kept open; see
/// ``isKernelPseudoFile(_:)``. Not thread-safe: one reader belongs to one collector, used from one task.
final class CachedFileReader {
    private struct Entry {
        var fd: Int32
        var lastSweep: UInt64
    }

    /// Whether descriptors are kept open between reads; off, every read is open/read/close.
    let keepOpen: Bool
    /// Upper bound on cached descriptors, so a huge host cannot exhaust `RLIMIT_NOFILE`.
    let maxOpenFiles: Int
    private var entries: [String: Entry] = [:]
    private var sweep: UInt64 = 0
    private var buffer: [UInt8]
    private static let maxFileBytes = 4 << 20

    init(keepOpen: Bool = true, maxOpenFiles: Int = CachedFileReader.defaultMaxOpenFiles()) {
        self.keepOpen = keepOpen
        self.maxOpenFiles = maxOpenFiles
        self.buffer = [UInt8](repeating: 0, count: 16 << 10)
    }

    deinit {
        for entry in self.entries.values { close(entry.fd) }
    }

    /// Number of descriptors currently held open.
    var openFileCount: Int { self.entries.count }

    /// Marks the start of a sweep; descriptors untouched until ``endSweep()`` are then closed.
    func beginSweep() {
        self.sweep &+= 1
    }

    /// Closes descriptors that were not read during the current sweep.
    func endSweep() {
        guard self.entries.count > 0 else { return }
        let current = self.sweep
        for (path, entry) in self.entries where entry.lastSweep != current {
            close(entry.fd)
            self.entries[path] = nil
        }
    }

    /// Reads a whole file and hands its bytes to `body`. The buffer is only valid inside `body`.
    ///
    /// - Throws: ``FileReadError``; `.missing` for ENOENT so callers can treat it as "no data".
    func withContents<R>(of path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        if let entry = self.entries[path] {
            self.entries[path]!.lastSweep = self.sweep
            do {
                let count = try self.readAll(fd: entry.fd, path: path)
                return try self.buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
            } catch let error as FileReadError {
                // The cached descriptor may point at a removed and recreated cgroup: drop it and retry fresh once.
                close(entry.fd)
                self.entries[path] = nil
                if case .tooLarge = error { throw error }
            }
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw FileReadError.missing(path: path) }
            if code == ENODEV { throw FileReadError.vanished(path: path) }
            throw FileReadError.failed(path: path, errno: code)
        }
        let count: Int
        do {
            count = try self.readAll(fd: fd, path: path)
        } catch {
            close(fd)
            throw error
        }
        if self.keepOpen && self.entries.count < self.maxOpenFiles && Self.isKernelPseudoFile(fd) {
            self.entries[path] = Entry(fd: fd, lastSweep: self.sweep)
        } else {
            close(fd)
        }
        return try self.buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Reads a file into a `String` (for small, rarely read files and tests).
    func string(at path: String) throws -> String {
        try self.withContents(of: path) { String(decoding: $0, as: UTF8.self) }
    }

    private func readAll(fd: Int32, path: String) throws -> Int {
        var total = 0
        while true {
            if total == self.buffer.count {
                guard self.buffer.count < Self.maxFileBytes else {
                    throw FileReadError.tooLarge(path: path, limitBytes: Self.maxFileBytes)
                }
                self.buffer.append(contentsOf: repeatElement(0, count: self.buffer.count))
            }
            let capacity = self.buffer.count - total
            let n = self.buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + total, capacity, off_t(total))
            }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == ENODEV || code == ENOENT { throw FileReadError.vanished(path: path) }
                throw FileReadError.failed(path: path, errno: code)
            }
            if n == 0 { return total }
            total += n
        }
    }

    /// procfs, sysfs and cgroupfs regenerate a file on every read and fail reads (`ENODEV`) once the object is gone.
    /// A regular file does neither: an unlinked one stays readable through an old descriptor, so a replaced fixture
    /// file would read stale. Only pseudo-files are kept open.
    static func isKernelPseudoFile(_ fd: Int32) -> Bool {
        var info = statfs()
        guard fstatfs(fd, &info) == 0 else { return false }
        switch UInt64(bitPattern: Int64(info.f_type)) {
        case 0x9fa0, 0x6265_6572, 0x0027_e0eb, 0x6367_7270: return true  // proc, sysfs, cgroup v1, cgroup2
        default: return false
        }
    }

    /// Half the soft descriptor limit, leaving room for sockets and the history store.
    static func defaultMaxOpenFiles() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 512 }
        return max(64, Int(min(limit.rlim_cur, 1 << 20)) / 2)
    }

    /// Raises the soft descriptor limit to the hard one (as Go's runtime does), so caching can cover large hosts.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
