/// The `memory.stat` counters a workload keeps, one slot per kept key, under their cgroup v2 names.
///
/// A fixed table rather than a `[String: UInt64]`: a 1000-cgroup sweep reads 1000 of these, and a dictionary of
/// `String` keys cost a hash table, its growth and a key per line for each of them. Keys are declared in name order,
/// so iterating the table visits the keys sorted, as the stored JSON writes them. Stored (`Codable`) as the JSON
/// object `{"anon": N, ...}` that the dictionary was, so records written before read the same; a name not listed
/// here is skipped when decoding.
public struct MemoryStat: Sendable, Equatable, Codable, ExpressibleByDictionaryLiteral {
    /// A kept key, by its v2 name. The v1 hierarchical `total_*` keys map to these (see `MemoryStatKeys`).
    public enum Key: Int, CaseIterable, Sendable, Hashable {
        case activeAnon, activeFile, anon, file, fileDirty, fileWriteback, inactiveAnon, inactiveFile, pgfault,
             pgmajfault, pgscan, pgsteal, shmem, swap, swapcached, unevictable, workingsetActivateAnon,
             workingsetActivateFile, workingsetRefault, workingsetRefaultAnon, workingsetRefaultFile, zswap, zswapped

        /// The key as `memory.stat` (v2) names it.
        public var name: String { Self.names[self.rawValue] }

        /// The key named `name` (v2 spelling), or `nil`.
        public init?(name: String) {
            guard let index = Self.names.firstIndex(of: name) else { return nil }
            self.init(rawValue: index)
        }

        /// In case order, which is name order.
        static let names = [
            "active_anon", "active_file", "anon", "file", "file_dirty", "file_writeback", "inactive_anon", "inactive_file",
            "pgfault", "pgmajfault", "pgscan", "pgsteal", "shmem", "swap", "swapcached", "unevictable",
            "workingset_activate_anon", "workingset_activate_file", "workingset_refault", "workingset_refault_anon",
            "workingset_refault_file", "zswap", "zswapped",
        ]
    }

    public static let keyCount = 23
    private var values = InlineArray<23, UInt64>(repeating: 0)
    /// Bit `key.rawValue` set: the key was read.
    private var present: UInt32 = 0

    public init() {}

    public init(dictionaryLiteral elements: (Key, UInt64)...) {
        for (key, value) in elements { self[key] = value }
    }

    /// The value read for `key`; `nil` when the file had no such line.
    @inline(__always)
    public subscript(key: Key) -> UInt64? {
        get { self.present & (1 << key.rawValue) != 0 ? self.values[key.rawValue] : nil }
        set {
            if let newValue {
                self.values[key.rawValue] = newValue
                self.present |= 1 << key.rawValue
            } else {
                self.values[key.rawValue] = 0
                self.present &= ~(1 << key.rawValue)
            }
        }
    }

    public var isEmpty: Bool { self.present == 0 }
    /// Number of keys read.
    public var count: Int { self.present.nonzeroBitCount }

    /// Calls `body` for every key read, in name order.
    public func forEach(_ body: (Key, UInt64) throws -> Void) rethrows {
        var bits = self.present
        while bits != 0 {
            let index = bits.trailingZeroBitCount
            try body(Key(rawValue: index)!, self.values[index])
            bits &= bits - 1
        }
    }

    public static func == (a: MemoryStat, b: MemoryStat) -> Bool {
        guard a.present == b.present else { return false }
        for index in 0..<Self.keyCount where a.values[index] != b.values[index] { return false }
        return true
    }

    private struct Name: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Name.self)
        for name in container.allKeys {
            guard let key = Key(name: name.stringValue) else { continue }
            self[key] = try container.decode(UInt64.self, forKey: name)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Name.self)
        try self.forEach { key, value in try container.encode(value, forKey: Name(stringValue: key.name)) }
    }
}
