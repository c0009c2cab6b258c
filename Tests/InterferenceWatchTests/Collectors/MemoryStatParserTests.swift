import Detectors
import TestKit
import Testing

@testable import Parsers

/// ``MemoryStatParser`` reads the key before the value and in one pass; these check it against the general
/// ``KeyValueParser`` rule it must agree with (the oracle), on hand-picked lines and on seeded generated files.
struct MemoryStatParserTests {
    /// The general rule: every line through `KeyValueParser.scan`, kept keys into their slots.
    static func oracle(_ bytes: UnsafeBufferPointer<UInt8>, keys: MemoryStatKeys) -> (stat: MemoryStat, issues: [ParseIssue]) {
        var stat = MemoryStat()
        let issues = KeyValueParser.scan(bytes, path: "memory.stat", isKnown: { keys.key($0) != nil }) { raw, value in
            if let key = keys.key(raw) { stat[key] = value }
        }
        return (stat, issues)
    }

    static func both(_ text: String, keys: MemoryStatKeys)
        -> (parsed: (stat: MemoryStat, issues: [ParseIssue]), oracle: (stat: MemoryStat, issues: [ParseIssue])) {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer in
            let view = UnsafeBufferPointer(buffer)
            return (MemoryStatParser.parse(view, path: "memory.stat", keys: keys), Self.oracle(view, keys: keys))
        }
    }

    @Test(arguments: [
        "anon 1\nfile 2\n", "anon 1\nfile 2", "anon  1\n", "anon\t1\n", " anon 1\n", "\tanon 1\n", "anon 1 \n",
        "anon 1 2\n", "anon x\n", "anon \n", "anon\n", "\n\n", "", "anon 18446744073709551616\n",
        "anon 18446744073709551615\n", "anon 1\r\n", "an\ton 1\n", "brand_new 1 2 3\n", "brand_new\tx\n",
        "total_rss 5\ntotal_cache 6\nrss 7\n", "total_rss\t5\n", "total_rss 5 6\n", "pgmajfault -3\n", "anon 07\n",
        "anon 1\nanon 2\n", "zswapped 9\nswap 3\ntotal_swap 4\n",
    ])
    func agreesWithTheGeneralRule(text: String) {
        for keys in [MemoryStatKeys.v1, .v2] {
            let (parsed, oracle) = Self.both(text, keys: keys)
            #expect(parsed.stat == oracle.stat, "\(text.debugDescription)")
            #expect(parsed.issues == oracle.issues, "\(text.debugDescription)")
        }
    }

    @Test func agreesWithTheGeneralRuleOnGeneratedFiles() {
        let pieces = ["anon", "file", "total_rss", "total_cache", "pgmajfault", "total_pgmajfault", "rss", "shmem",
                      "workingset_refault_anon", "total_workingset_refault_file", "brand_new", "", "x"]
        let separators = [" ", " ", " ", "  ", "\t", " \t"]
        let values = ["0", "1", "4096", "18446744073709551615", "18446744073709551616", "-1", "x", "", "1 2", "3 "]
        for seed in UInt64(1)...200 {
            var random = TestRandom(seed: seed)
            var text = ""
            for _ in 0..<Int(random.next() % 12) {
                if random.next() % 8 == 0 { text += " " }
                text += pieces[Int(random.next() % UInt64(pieces.count))]
                text += separators[Int(random.next() % UInt64(separators.count))]
                text += values[Int(random.next() % UInt64(values.count))]
                text += random.next() % 10 == 0 ? "\r\n" : "\n"
            }
            if random.next() % 3 == 0, text.hasSuffix("\n") { text.removeLast() }
            for keys in [MemoryStatKeys.v1, .v2] {
                let (parsed, oracle) = Self.both(text, keys: keys)
                #expect(parsed.stat == oracle.stat, "seed \(seed): \(text.debugDescription)")
                #expect(parsed.issues == oracle.issues, "seed \(seed): \(text.debugDescription)")
            }
        }
    }

    @Test func v1KeepsTheHierarchicalKeysUnderTheirV2Names() {
        let (parsed, _) = Self.both("rss 1\ntotal_rss 2\ncache 3\ntotal_cache 4\ntotal_swap 5\ntotal_inactive_file 6\n", keys: .v1)
        #expect(parsed.stat == [.anon: 2, .file: 4, .swap: 5, .inactiveFile: 6])
        #expect(parsed.issues.isEmpty)
    }

    @Test func everyKeptNameIsFoundAndNothingElse() {
        for key in MemoryStat.Key.allCases where key != .swap {
            let raw = Array(key.name.utf8)
            #expect(raw.withUnsafeBufferPointer { MemoryStatKeys.v2.key($0) } == key)
            #expect(Array(("total_" + key.name).utf8).withUnsafeBufferPointer { MemoryStatKeys.v2.key($0) } == nil)
        }
        for name in ["", "a", "anon_", "anon ", "ano", "total_", "total_anon", "swap"] {
            #expect(Array(name.utf8).withUnsafeBufferPointer { MemoryStatKeys.v2.key($0) } == nil, "\(name)")
        }
    }
}

/// ``LineScanner/double(_:)`` computes plain decimals itself; it must give what `Double(String)` gives.
struct LineScannerDoubleTests {
    @Test func matchesTheStandardParser() {
        var cases = ["0", "0.00", "1.53", "100.00", "99.99", "0.1", "0.01", "12345678901234.5", "123456789012345",
                     "1234567890123456", "9007199254740993", "1.", ".5", "1e3", "-1", "+1", "nan", "inf", "1.2.3", "0x10",
                     "00.10", "0000000000000001"]
        var random = TestRandom(seed: 7)
        for _ in 0..<2000 {
            let whole = random.next() % 1000
            let digits = Int(random.next() % 6)
            var text = "\(whole)"
            if digits > 0 { text += "." + String((0..<digits).map { _ in Character(String(random.next() % 10)) }) }
            cases.append(text)
        }
        for text in cases {
            let bytes = Array(text.utf8)
            let parsed = bytes.withUnsafeBufferPointer { LineScanner.double($0) }
            let expected = Double(text)
            #expect(parsed?.bitPattern == expected?.bitPattern || (parsed?.isNaN == true && expected?.isNaN == true), "\(text)")
        }
    }
}
