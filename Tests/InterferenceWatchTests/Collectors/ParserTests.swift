import Detectors
import Logging
import Testing

@testable import InterferenceWatch
@testable import Parsers

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

    @Test func fullStallIsAHundredPercent() throws {
        let parsed = withBytes("some avg10=100.00 avg60=100.00 avg300=99.99 total=5\n") { PSIParser.parse($0, path: "cpu") }
        #expect(try #require(parsed.stats).some.avg10Percent == 100)
        #expect(parsed.issues.isEmpty)
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
        // Averages that are not percentages (Fuzz/PSI found the first): they would reach the detectors as a share.
        "some avg10=0.00 avg60=0200 avg300=0.00 total=0\n",
        "some avg10=nan avg60=0.00 avg300=0.00 total=0\n",
        "some avg10=-1 avg60=0.00 avg300=0.00 total=0\n",
        "some avg10=inf avg60=0.00 avg300=0.00 total=0\n",
    ])
    func malformedFilesGiveAnIssueAndNoStats(_ text: String) {
        let parsed = withBytes(text) { PSIParser.parse($0, path: "p") }
        #expect(parsed.stats == nil)
        #expect(!parsed.issues.isEmpty)
    }
}

/// The kernel adds lines over time: what we do not read must not make a file "malformed" (prometheus/procfs
/// ignores it too), while a broken line for a key we do read still is.
struct NewKernelLinesTests {
    @Test func unknownPSIKindsAreIgnored() throws {
        let parsed = withBytes("some avg10=0.10 avg60=0.00 avg300=0.00 total=5\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\nnewkind avg10=x\n") {
            PSIParser.parse($0, path: "pressure/memory")
        }
        #expect(parsed.issues.isEmpty)
        #expect(try #require(parsed.stats).full?.totalMicroseconds == 1)
        let broken = withBytes("some avg10=0.10 avg60=0.00 avg300=0.00 total=5\nfull avg10=zz avg60=0.00 avg300=0.00 total=1\n") {
            PSIParser.parse($0, path: "pressure/memory")
        }
        #expect(broken.issues.map(\.line) == [2])
    }

    @Test func newMeminfoLinesAreSkippedKnownBrokenOnesAreNot() {
        let parsed = withBytes("MemTotal: 100 kB\nFutureThing: 12 pages\nWeird\nMemAvailable: many kB\nCmaFree: 4 kB\n") {
            MeminfoParser.parse($0, path: "/proc/meminfo")
        }
        #expect(parsed.values == ["MemTotal": 102_400, "CmaFree": 4096])
        #expect(parsed.issues.map(\.line) == [4])
    }

    @Test func newVmstatAndMemoryStatLinesAreSkippedKnownBrokenOnesAreNot() {
        let parsed = withBytes("pswpin 12\nnr_new_thing 1 2\npgmajfault x\nbrand_new 7\n") {
            KeyValueParser.parse($0, path: "vmstat", knownKeys: ProcKeys.vmstat)
        }
        #expect(parsed.values == ["pswpin": 12, "brand_new": 7])
        #expect(parsed.issues.map(\.line) == [3])
        let stat = withBytes("anon 4096\nsome_v7_key 1 extra\npgmajfault -3\n") {
            MemoryStatParser.parse($0, path: "memory.stat", keys: .v2)
        }
        #expect(stat.stat == [.anon: 4096])
        #expect(stat.issues.map(\.line) == [3])
    }

    /// Through the collectors and the sweep: a tree whose files carry lines from a newer kernel reads clean.
    @Test func collectorsStaySuccessfulOnANewerKernel() throws {
        let tree = try TemporaryTree()
        try tree.write("proc/meminfo", "MemTotal: 8000 kB\nMemAvailable: 4000 kB\nShinyNew:    3 widgets\n")
        try tree.write("proc/vmstat", "pswpin 1\npswpout 2\nnr_shiny 1 2 3\n")
        try tree.write("proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\nshiny total=3\n")
        try tree.write("proc/pressure/cpu", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
        try tree.write("proc/pressure/io", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
        let paths = CollectorPaths(procfs: tree.root + "/proc", sysfs: tree.root + "/sys", cgroupfs: nil)
        let reader = CachedFileReader()
        let runner = SweepRunner(collectors: [MeminfoCollector(paths: paths, reader: reader), VMStatCollector(paths: paths, reader: reader),
                                              PressureCollector(paths: paths, reader: reader)],
                                 reader: reader, logger: Logger(label: "t"))
        let sweep = runner.sweep(wallClockSeconds: 1)
        #expect(sweep.collectors.map(\.success) == [true, true, true], "\(sweep.collectors)")
        #expect(sweep.host.meminfoBytes["MemAvailable"] == 4_096_000)
        #expect(sweep.host.pressure[.memory] != nil)
    }
}
