/// The `memory.stat` keys we keep, under their cgroup v2 names.
///
/// v1 files carry both local and hierarchical (`total_*`) counters; a workload's cgroup may have children (a VM's
/// emulator and vcpu cgroups), so the hierarchical ones are the right numbers. v1 `rss`/`cache` become v2
/// `anon`/`file`, `dirty`/`writeback` become `file_dirty`/`file_writeback`.
/// Lookup hashes the key's bytes (FNV-1a) so the 40-odd lines of every file cost no allocation.
public struct MemoryStatKeys: Sendable {
    private struct Entry: Sendable {
        public var bytes: [UInt8]
        public var canonical: String
    }

    private var table: [UInt64: Entry] = [:]

    /// v2 `memory.stat` keys.
    public static let v2 = MemoryStatKeys(pairs: Self.kept.map { ($0, $0) })

    /// v1 `memory.stat` keys (hierarchical `total_*`).
    public static let v1 = MemoryStatKeys(pairs: [
        ("total_rss", "anon"), ("total_cache", "file"), ("total_dirty", "file_dirty"),
        ("total_writeback", "file_writeback"), ("total_swap", "swap"),
    ] + Self.kept.filter { !["anon", "file", "file_dirty", "file_writeback"].contains($0) }.map { ("total_" + $0, $0) })

    private static let kept = [
        "anon", "file", "shmem", "file_dirty", "file_writeback", "inactive_anon", "active_anon", "inactive_file",
        "active_file", "unevictable", "pgfault", "pgmajfault", "workingset_refault_anon", "workingset_refault_file",
        "workingset_refault", "workingset_activate_anon", "workingset_activate_file", "pgscan", "pgsteal",
        "swapcached", "zswap", "zswapped",
    ]

    private init(pairs: [(String, String)]) {
        for (raw, canonical) in pairs {
            let bytes = Array(raw.utf8)
            let hash = bytes.withUnsafeBufferPointer { Self.hash($0) }
            precondition(self.table[hash] == nil, "hash collision in MemoryStatKeys")
            self.table[hash] = Entry(bytes: bytes, canonical: canonical)
        }
    }

    /// The canonical name of a raw key, or `nil` when the key is not kept.
    @inline(__always)
    public func canonical(_ key: UnsafeBufferPointer<UInt8>) -> String? {
        guard let entry = self.table[Self.hash(key)], LineScanner.equals(key, entry.bytes) else { return nil }
        return entry.canonical
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}
