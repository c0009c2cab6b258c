import Foundation
import Testing

@testable import Detectors

struct MemoryStatTests {
    @Test func keysAreInNameOrderAndFillTheTable() {
        let names = MemoryStat.Key.allCases.map(\.name)
        #expect(names == names.sorted())
        #expect(Set(names).count == MemoryStat.keyCount)
        for key in MemoryStat.Key.allCases { #expect(MemoryStat.Key(name: key.name) == key) }
    }

    @Test func absentIsNilNotZero() {
        var stat: MemoryStat = [.anon: 0, .zswapped: 7]
        #expect(stat[.anon] == 0)
        #expect(stat[.file] == nil)
        #expect(stat.count == 2)
        stat[.anon] = nil
        #expect(stat == [.zswapped: 7])
        #expect(stat != [.zswapped: 7, .anon: 0])
        var visited: [MemoryStat.Key] = []
        let three: MemoryStat = [.zswapped: 1, .activeAnon: 2, .pgfault: 3]
        three.forEach { key, _ in visited.append(key) }
        #expect(visited == [.activeAnon, .pgfault, .zswapped])
    }

    /// Stored as the `{"name": value}` object the `[String: UInt64]` it replaced was, so old records read the same.
    @Test func storesAsTheDictionaryItReplaced() throws {
        let stat: MemoryStat = [.pgmajfault: 5000, .inactiveFile: 1 << 20, .workingsetRefaultAnon: 3]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let asDictionary = try encoder.encode(["pgmajfault": UInt64(5000), "inactive_file": 1 << 20, "workingset_refault_anon": 3])
        #expect(try encoder.encode(stat) == asDictionary)
        #expect(try JSONDecoder().decode(MemoryStat.self, from: asDictionary) == stat)
        // A key a later version keeps is skipped by this one, not an error.
        let newer = Data(#"{"anon": 1, "kernel_stack": 2}"#.utf8)
        #expect(try JSONDecoder().decode(MemoryStat.self, from: newer) == [.anon: 1])
    }
}
