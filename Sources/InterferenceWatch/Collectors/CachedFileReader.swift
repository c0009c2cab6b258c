import CProc2
import Glibc

/// Reads small kernel files (procfs, cgroupfs), keeping their descriptors open between sweeps.
///
/// Kernel seq_file based files regenerate their content on every read at offset 0, so a descriptor opened once can
/// be re-read with `pread(fd, buf, n, 0)`. That saves the open/close pair per file per sweep, which dominates the
/// cost of a 1000-cgroup sweep. Descriptors not used during a sweep are closed at ``endSweep()`` so vanished cgroups
/// release their kernfs nodes. Files on ordinary filesystems (fixture trees) are never kept open; see
/// ``fileSystem(_:)``. Not thread-safe: one reader belongs to one collector, used from one task.
///
/// Files read every sweep under fixed names in one directory (a cgroup's memory files) go through a ``Directory``:
/// its path is looked up once per sweep and its files by index, so no per-file path is built or hashed.
final class CachedFileReader {
    private struct Entry {
        var fd: Int32
        var lastSweep: UInt64
    }

    /// The descriptors of one directory's files, by the index the caller gives each name; -1 when not open.
    private struct DirectoryEntry {
        var key: String
        var fds: [Int32]
        var lastSweep: UInt64
        /// Where ``directory(_:fileCount:)`` asked for it in the sweep of `lastSweep`.
        var position = 0
        /// False once closed at ``endSweep()``, until the slot is reused.
        var inUse = true
        /// Kept descriptors are in kernfs (cgroupfs, sysfs): see ``readAll(fd:path:wholeRecord:)``.
        var wholeRecord = false
    }

    /// A set of files read by index (a cgroup's memory files, in one or two hierarchies); valid until the next
    /// ``endSweep()``.
    struct Directory {
        /// What the caller named the set by (a cgroup's relative path).
        let key: String
        /// Index into `directorySlots`; -1 when descriptors are not kept.
        fileprivate let slot: Int
    }

    /// Whether descriptors are kept open between reads; off, every read is open/read/close.
    let keepOpen: Bool
    /// Upper bound on cached descriptors, so a huge host cannot exhaust `RLIMIT_NOFILE`.
    let maxOpenFiles: Int
    private var entries: [String: Entry] = [:]
    private var directories: [String: Int] = [:]
    private var directorySlots: [DirectoryEntry] = []
    private var freeSlots: [Int] = []
    /// Slots in the order ``directory(_:fileCount:)`` asked for them, last sweep and this one: a sweep asks in the
    /// same order as the one before (the walk is sorted), so the next slot of the last order is nearly always the
    /// one asked for, found with one string comparison instead of hashing a path and probing a table.
    private var previousOrder: [Int] = []
    private var currentOrder: [Int] = []
    private var cursor = 0
    private var openDescriptors = 0
    private var sweep: UInt64 = 0
    private var buffer: UnsafeMutableRawBufferPointer
    private static let maxFileBytes = 4 << 20

    init(keepOpen: Bool = true, maxOpenFiles: Int = CachedFileReader.defaultMaxOpenFiles()) {
        self.keepOpen = keepOpen
        self.maxOpenFiles = maxOpenFiles
        self.buffer = .allocate(byteCount: 16 << 10, alignment: 16)
    }

    deinit {
        for entry in self.entries.values { close(entry.fd) }
        for entry in self.directorySlots { for fd in entry.fds where fd >= 0 { close(fd) } }
        self.buffer.deallocate()
    }

    /// File sets asked for in the last sweep (``directory(_:fileCount:)``).
    var directoriesLastSweep: Int { self.previousOrder.count }

    /// Number of descriptors currently held open.
    var openFileCount: Int { self.openDescriptors }

    /// Marks the start of a sweep; descriptors untouched until ``endSweep()`` are then closed.
    func beginSweep() {
        self.sweep &+= 1
        swap(&self.previousOrder, &self.currentOrder)
        self.currentOrder.removeAll(keepingCapacity: true)
        self.cursor = 0
    }

    /// Closes descriptors that were not read during the current sweep.
    func endSweep() {
        let current = self.sweep
        if !self.entries.isEmpty {
            for (path, entry) in self.entries where entry.lastSweep != current {
                close(entry.fd)
                self.openDescriptors -= 1
                self.entries[path] = nil
            }
        }
        if !self.directories.isEmpty {
            for (path, slot) in self.directories where self.directorySlots[slot].lastSweep != current {
                for fd in self.directorySlots[slot].fds where fd >= 0 {
                    close(fd)
                    self.openDescriptors -= 1
                }
                self.directorySlots[slot].fds = []
                self.directorySlots[slot].key = ""
                self.directorySlots[slot].inUse = false
                self.directories[path] = nil
                self.freeSlots.append(slot)
            }
        }
    }

    /// Reads a whole file and hands its bytes to `body`. The buffer is only valid inside `body`.
    ///
    /// - Throws: ``FileReadError``; `.missing` for ENOENT so callers can treat it as "no data".
    func withContents<R>(of path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        if let entry = self.entries[path] {
            self.entries[path]!.lastSweep = self.sweep
            do {
                let count = try self.readAll(fd: entry.fd, path: { path }, wholeRecord: false)
                return try body(self.contents(count))
            } catch let error as FileReadError {
                // The cached descriptor may point at a removed and recreated cgroup: drop it and retry fresh once.
                close(entry.fd)
                self.openDescriptors -= 1
                self.entries[path] = nil
                if case .tooLarge = error { throw error }
            }
        }
        let (fd, count) = try self.openAndRead(path)
        if self.keepOpen && self.openDescriptors < self.maxOpenFiles && Self.fileSystem(fd) != .other {
            self.entries[path] = Entry(fd: fd, lastSweep: self.sweep)
            self.openDescriptors += 1
        } else {
            close(fd)
        }
        return try body(self.contents(count))
    }

    /// The file set named `key`, whose files are then read with ``withContents(of:in:path:_:)``.
    ///
    /// - Parameter fileCount: how many file indexes the caller uses in it (the same every time for one key).
    func directory(_ key: String, fileCount: Int) -> Directory {
        guard self.keepOpen else { return Directory(key: key, slot: -1) }
        var found: Int?
        if self.cursor < self.previousOrder.count {
            let predicted = self.previousOrder[self.cursor]
            if self.directorySlots[predicted].inUse && self.directorySlots[predicted].key == key { found = predicted }
        }
        if found == nil, let slot = self.directories[key] {
            found = slot
            // Back in step with the last order after a cgroup came or went.
            if self.directorySlots[slot].lastSweep != self.sweep { self.cursor = self.directorySlots[slot].position }
        }
        if let slot = found {
            if self.directorySlots[slot].lastSweep != self.sweep {
                self.cursor += 1
                self.directorySlots[slot].lastSweep = self.sweep
                self.directorySlots[slot].position = self.currentOrder.count
                self.currentOrder.append(slot)
            }
            if self.directorySlots[slot].fds.count < fileCount {
                self.directorySlots[slot].fds += [Int32](repeating: -1, count: fileCount - self.directorySlots[slot].fds.count)
            }
            return Directory(key: key, slot: slot)
        }
        let entry = DirectoryEntry(key: key, fds: [Int32](repeating: -1, count: fileCount), lastSweep: self.sweep,
                                   position: self.currentOrder.count)
        let slot: Int
        if let free = self.freeSlots.popLast() {
            slot = free
            self.directorySlots[slot] = entry
        } else {
            slot = self.directorySlots.count
            self.directorySlots.append(entry)
        }
        self.directories[key] = slot
        self.currentOrder.append(slot)
        return Directory(key: key, slot: slot)
    }

    /// Reads file `index` of `directory`, as ``withContents(of:_:)`` reads a path.
    ///
    /// - Parameter path: the file's path; only evaluated to open it or to name it in an error.
    func withContents<R>(of index: Int, in directory: Directory, path: () -> String,
                         _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        let slot = directory.slot
        if slot >= 0 {
            let fd = self.directorySlots[slot].fds[index]
            if fd >= 0 {
                do {
                    let count = try self.readAll(fd: fd, path: path, wholeRecord: self.directorySlots[slot].wholeRecord)
                    return try body(self.contents(count))
                } catch let error as FileReadError {
                    close(fd)
                    self.openDescriptors -= 1
                    self.directorySlots[slot].fds[index] = -1
                    if case .tooLarge = error { throw error }
                }
            }
        }
        let (fd, count) = try self.openAndRead(path())
        let system = slot >= 0 && self.openDescriptors < self.maxOpenFiles ? Self.fileSystem(fd) : .other
        if system != .other {
            self.directorySlots[slot].fds[index] = fd
            self.directorySlots[slot].wholeRecord = system == .kernfs
            self.openDescriptors += 1
        } else {
            close(fd)
        }
        return try body(self.contents(count))
    }

    /// Reads a file into a `String` (for small, rarely read files and tests).
    func string(at path: String) throws -> String {
        try self.withContents(of: path) { String(decoding: $0, as: UTF8.self) }
    }

    /// Opens `path` and reads it whole into the buffer; the descriptor is closed again if the read fails.
    private func openAndRead(_ path: String) throws -> (fd: Int32, count: Int) {
        let fd = try Self.open(path)
        do {
            return (fd, try self.readAll(fd: fd, path: { path }, wholeRecord: false))
        } catch {
            close(fd)
            throw error
        }
    }

    private func contents(_ count: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: self.buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
    }

    private static func open(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw FileReadError.missing(path: path) }
            if code == ENODEV { throw FileReadError.vanished(path: path) }
            throw FileReadError.failed(path: path, errno: code)
        }
        return fd
    }

    /// Reads from offset 0 until `read` returns 0, or, with `wholeRecord`, until the first short read.
    ///
    /// A kernfs file (every cgroup file we read, sysfs) is one seq_file record that the kernel formats whole before
    /// copying, so a read shorter than the buffer is its end, and the read that would return 0 is a wasted syscall
    /// (7,000 of them in a 1000-cgroup sweep). procfs files such as `/proc/vmstat` are several records and return
    /// a short read at each page of output, so they are read until 0. `path` is only called for an error, so the
    /// hot path builds no string.
    private func readAll(fd: Int32, path: () -> String, wholeRecord: Bool) throws -> Int {
        var total = 0
        while true {
            if total == self.buffer.count {
                guard self.buffer.count < Self.maxFileBytes else {
                    throw FileReadError.tooLarge(path: path(), limitBytes: Self.maxFileBytes)
                }
                let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: self.buffer.count * 2, alignment: 16)
                grown.copyMemory(from: UnsafeRawBufferPointer(self.buffer))
                self.buffer.deallocate()
                self.buffer = grown
            }
            let capacity = self.buffer.count - total
            let n = pread(fd, self.buffer.baseAddress! + total, capacity, off_t(total))
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == ENODEV || code == ENOENT { throw FileReadError.vanished(path: path()) }
                throw FileReadError.failed(path: path(), errno: code)
            }
            if n == 0 { return total }
            total += n
            if wholeRecord && n < capacity { return total }
        }
    }

    enum FileSystem: Equatable {
        /// procfs: regenerated on every read, several seq_file records per file.
        case procfs
        /// sysfs, cgroup v1, cgroup2: regenerated on every read, one record per file.
        case kernfs
        /// Anything else (a fixture tree): never kept open.
        case other
    }

    /// procfs, sysfs and cgroupfs regenerate a file on every read and fail reads (`ENODEV`) once the object is gone.
    /// A regular file does neither: an unlinked one stays readable through an old descriptor, so a replaced fixture
    /// file would read stale. Only pseudo-files are kept open.
    static func fileSystem(_ fd: Int32) -> FileSystem {
        var info = statfs()
        guard fstatfs(fd, &info) == 0 else { return .other }
        switch UInt64(bitPattern: Int64(info.f_type)) {
        case 0x9fa0: return .procfs
        case 0x6265_6572, 0x0027_e0eb, 0x6367_7270: return .kernfs  // sysfs, cgroup v1, cgroup2
        default: return .other
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
