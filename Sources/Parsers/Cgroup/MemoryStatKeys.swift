import Detectors

/// The `memory.stat` keys we keep, as ``MemoryStat/Key``s (their cgroup v2 names).
///
/// v1 files carry both local and hierarchical (`total_*`) counters; a workload's cgroup may have children (a VM's
/// emulator and vcpu cgroups), so the hierarchical ones are the right numbers. v1 `rss`/`cache` become v2
/// `anon`/`file`, `dirty`/`writeback` become `file_dirty`/`file_writeback`.
///
/// Lookup hashes the key's bytes into a small open-addressed table and compares the bytes once: every one of the 40
/// to 70 lines of each file is looked up, so a lookup costs no allocation and no `Hasher`.
public struct MemoryStatKeys: Sendable {
    /// Slot count, a power of two well above the ~25 keys so that probes are short.
    private static let slotCount = 256
    /// Per slot: the key's raw value, or -1 for an empty slot.
    private var slots: [Int8]
    /// Per slot: where its raw name starts and ends in `names`.
    private var starts: [Int32]
    private var ends: [Int32]
    private var names: [UInt8] = []

    /// v2 `memory.stat` keys.
    public static let v2 = MemoryStatKeys(pairs: MemoryStat.Key.allCases.filter { $0 != .swap }.map { ($0.name, $0) })

    /// v1 `memory.stat` keys (hierarchical `total_*`).
    public static let v1 = MemoryStatKeys(pairs: [
        ("total_rss", .anon), ("total_cache", .file), ("total_dirty", .fileDirty), ("total_writeback", .fileWriteback),
        ("total_swap", .swap),
    ] + MemoryStat.Key.allCases.filter { ![.anon, .file, .fileDirty, .fileWriteback, .swap].contains($0) }.map { ("total_" + $0.name, $0) })

    private init(pairs: [(String, MemoryStat.Key)]) {
        self.slots = [Int8](repeating: -1, count: Self.slotCount)
        self.starts = [Int32](repeating: 0, count: Self.slotCount)
        self.ends = [Int32](repeating: 0, count: Self.slotCount)
        for (raw, key) in pairs {
            let bytes = Array(raw.utf8)
            var slot = bytes.withUnsafeBufferPointer { Self.hash($0) } & (Self.slotCount - 1)
            while self.slots[slot] >= 0 { slot = (slot + 1) & (Self.slotCount - 1) }
            self.slots[slot] = Int8(key.rawValue)
            self.starts[slot] = Int32(self.names.count)
            self.names += bytes
            self.ends[slot] = Int32(self.names.count)
        }
    }

    /// The kept key a raw key names, or `nil` when the key is not kept.
    @inline(__always)
    public func key(_ raw: UnsafeBufferPointer<UInt8>) -> MemoryStat.Key? {
        var slot = Self.hash(raw) & (Self.slotCount - 1)
        return self.names.withUnsafeBufferPointer { names in
            while true {
                let value = self.slots[slot]
                guard value >= 0 else { return nil }
                let start = Int(self.starts[slot]), end = Int(self.ends[slot])
                if end - start == raw.count && memcmpEqual(names.baseAddress! + start, raw.baseAddress, raw.count) {
                    return MemoryStat.Key(rawValue: Int(value))
                }
                slot = (slot + 1) & (Self.slotCount - 1)
            }
        }
    }

    /// The canonical (v2) name of a raw key, or `nil` when the key is not kept.
    public func canonical(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
        self.key(raw)?.name
    }

    /// Length and the first and last eight bytes, mixed by two multiplications: a byte-at-a-time hash (FNV) is a
    /// chain of dependent multiplications, which cost more than the rest of the line. Collisions only lengthen a
    /// probe; the bytes are compared in full.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let count = bytes.count
        var head: UInt64 = 0, tail: UInt64 = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            if count >= 8 {
                head = raw.loadUnaligned(as: UInt64.self)
                tail = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            } else {
                for i in 0..<count { head = head << 8 | UInt64(base[i]) }
            }
        }
        var hash = (head &* 0x9e37_79b9_7f4a_7c15) ^ (tail &* 0xc2b2_ae3d_27d4_eb4f) ^ UInt64(count)
        hash ^= hash >> 29
        hash &*= 0xbf58_476d_1ce4_e5b9
        return Int(truncatingIfNeeded: hash >> 32)
    }
}

@inline(__always)
private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>?, _ count: Int) -> Bool {
    guard let b else { return count == 0 }
    for i in 0..<count where a[i] != b[i] { return false }
    return true
}
