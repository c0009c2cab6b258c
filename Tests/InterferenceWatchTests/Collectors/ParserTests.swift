import Detectors
import Testing

@testable import InterferenceWatch

private func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    Array(text.utf8).withUnsafeBufferPointer(body)
}

struct MeminfoParserTests {
    @Test func convertsKilobytesToBytesAndKeepsPageCounts() {
        let parsed = withBytes("MemTotal:       8151704 kB\nHugePages_Total:       7\nSwapFree: 0 kB\n") {
            MeminfoParser.parse($0, path: "/proc/meminfo")
        }
        #expect(parsed.issues.isEmpty)
        #expect(parsed.values == ["MemTotal": 8_151_704 * 1024, "HugePages_Total": 7, "SwapFree": 0])
    }

    @Test func reportsBadLinesWithFileAndLineAndKeepsTheRest() {
        let parsed = withBytes("MemTotal: 100 kB\nMemFree 12\nCached: x kB\nBuffers: 5 MB\nSwapTotal: 4 kB\n") {
            MeminfoParser.parse($0, path: "/root/proc/meminfo")
        }
        #expect(parsed.values == ["MemTotal": 102_400, "SwapTotal": 4096])
        #expect(parsed.issues.map(\.line) == [2, 3, 4])
        #expect(parsed.issues[0].description.hasPrefix("/root/proc/meminfo:2: "))
        #expect(parsed.issues[2].message.contains("MB"))
    }
}

struct KeyValueParserTests {
    @Test func parsesVmstatAndFlagsJunk() {
        let parsed = withBytes("pswpin 12\npswpout 34\nbroken\npgmajfault -1\noom_kill 2") {
            KeyValueParser.parse($0, path: "vmstat")
        }
        #expect(parsed.values == ["pswpin": 12, "pswpout": 34, "oom_kill": 2])
        #expect(parsed.issues.map(\.line) == [3, 4])
    }

    @Test func rejectsOverflowingValues() {
        let parsed = withBytes("big 99999999999999999999999\n") { KeyValueParser.parse($0, path: "x") }
        #expect(parsed.values.isEmpty)
        #expect(parsed.issues.count == 1)
    }
}

struct PSIParserTests {
    @Test func parsesSomeAndFull() throws {
        let parsed = withBytes("some avg10=1.53 avg60=0.87 avg300=0.31 total=41203312\nfull avg10=0.42 avg60=0.20 avg300=0.07 total=12033120\n") {
            PSIParser.parse($0, path: "pressure/memory")
        }
        let stats = try #require(parsed.stats)
        #expect(parsed.issues.isEmpty)
        #expect(stats.some.avg10Percent == 1.53)
        #expect(stats.some.totalMicroseconds == 41_203_312)
        #expect(stats.full?.totalMicroseconds == 12_033_120)
    }

    @Test func cpuWithoutFullLineIsFine() throws {
        let parsed = withBytes("some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n") { PSIParser.parse($0, path: "cpu") }
        #expect(try #require(parsed.stats).full == nil)
        #expect(parsed.issues.isEmpty)
    }

    @Test(arguments: [
        "some avg10=0.00 avg60=0.00 total=5\n",
        "some avg10=abc avg60=0.00 avg300=0.00 total=5\n",
        "garbage\n",
        "",
    ])
    func malformedFilesGiveAnIssueAndNoStats(_ text: String) {
        let parsed = withBytes(text) { PSIParser.parse($0, path: "p") }
        #expect(parsed.stats == nil)
        #expect(!parsed.issues.isEmpty)
    }
}
