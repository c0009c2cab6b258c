import CFileShims
import Foundation
import Glibc
import Logging
import Testing

@testable import InterferenceWatch

/// Releasing the daemon's start-up code pages: which segments may be unmapped, and the daemon's resident code with
/// and without the release.
struct CodePageReleaseTests {
    private typealias Segment = LoadedSegment
    private static let read: UInt32 = 4, write: UInt32 = 2, execute: UInt32 = 1

    @Test func onlyReadOnlySegmentsAreReleasedRoundedInwardToWholePages() {
        let bias: UInt = 0x5555_0000_0000
        func segment(_ flags: UInt32, _ address: UInt, _ sizeBytes: UInt, _ fileOffset: UInt) -> Segment {
            Segment(bias: bias, object: 0, flags: flags, address: address, sizeBytes: sizeBytes, fileSizeBytes: sizeBytes, fileOffset: fileOffset)
        }
        let segments = [
            segment(Self.read, 0, 0x84_d2a0, 0),  // headers, constants
            segment(Self.read | Self.execute, 0x84_e2a0, 0x1d9_0000, 0x84_d2a0),  // code
            segment(Self.read | Self.write, 0x25e_0000, 0x13_0000, 0x25d_f000),  // RELRO's
            segment(Self.read, 0x270_0010, 0xff0, 0x26f_0010),  // under a page
            segment(Self.read, 0x280_0000, 0, 0x270_0000),
        ]
        let spans = CodePageRelease.releasableSpans(segments, pageSizeBytes: 4096)
        #expect(spans == [
            // The end rounded down: the page it ends in is shared with the code.
            .init(addresses: 0x5555_0000_0000..<0x5555_0084_d000, fileOffset: 0),
            // The start rounded up past the page shared with the constants, and the file offset moved with it.
            .init(addresses: 0x5555_0084_f000..<0x5555_025d_e000, fileOffset: 0x84_d2a0 + (0x84_f000 - 0x84_e2a0)),
        ])
    }

    @Test func theMainProgramHasReadOnlySegmentsAndTheTestProcessKeepsRunningAfterARelease() throws {
        let segments = LoadedSegment.all().filter { $0.object == 0 }
        let pageSizeBytes = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let ranges = CodePageRelease.releasableSpans(segments, pageSizeBytes: pageSizeBytes).map(\.addresses)
        #expect(segments.contains { $0.flags & Self.execute != 0 })
        // The code of this very test is among what is released: running on afterwards is the check that nothing but
        // file-backed, unmodified pages went.
        let code = try #require(segments.first { $0.flags & Self.execute != 0 })
        let middle = code.bias + code.address + code.sizeBytes / 2
        #expect(ranges.contains { $0.contains(middle) })
        #expect(!ranges.contains { range in
            segments.contains { $0.isWritable && range.overlaps($0.bias + $0.address..<$0.bias + $0.address + $0.sizeBytes) }
        })
        // The test process's data pages are left (the live daemon test checks the daemon's): paged out, each one its
        // hundreds of concurrent tests touch again is a disk read without readahead, stalls CI's swapping disk makes
        // long.
        let outcome = try #require(CodePageRelease.release(logger: .init(label: "test"), dataPages: false))
        #expect(outcome.releasedBytes == ranges.reduce(0) { $0 + $1.count })
        #expect(outcome.stillCachedBytes <= outcome.releasedBytes)
    }

    /// The daemon's resident code after one interval, from a private copy of the binary (so no other test's daemon
    /// keeps its pages cached), with the release off and then on; on, also under a seccomp filter that refuses
    /// userfaultfd, as container runtimes' default profiles do, where only the release is done.
    @Test(.timeLimit(.minutes(2)), arguments: [false, true])
    func theDaemonKeepsFarLessCodeResidentAfterReleasingIt(userfaultfdRefused: Bool) async throws {
        let tree = try TemporaryTree()
        var launcher: [String] = []
        if userfaultfdRefused {
            launcher = [tree.root + "/deny-userfaultfd"]
            let source = TestPaths.packageRoot.appendingPathComponent("Tests/InterferenceWatchTests/Support/deny-userfaultfd.c").path
            let compiled = try await Command.run(["gcc", "-O2", "-o", launcher[0], source])
            try #require(compiled.status == 0, "\(compiled)")
        }
        let binary = tree.root + "/interference-watch"
        try FileManager.default.copyItem(atPath: TestPaths.binary, toPath: binary)
        // Written pages are dirty until written back, and a dirty page cannot be dropped from the cache.
        let descriptor = open(binary, O_RDONLY)
        #expect(descriptor >= 0 && fsync(descriptor) == 0)
        close(descriptor)
        let root = TestPaths.fixture("v2-psi")
        let arguments = ["--path.procfs", root + "/proc", "--path.sysfs", root + "/sys", "--collection.interval", "1s",
                         "--no-collector.process"]

        /// The binary's mappings: permissions, file offset, resident and anonymous KiB.
        func mappings(_ daemon: DaemonProcess) throws -> [(permissions: Substring, offset: Int, rssKiB: Int, anonymousKiB: Int)] {
            let smaps = try String(contentsOfFile: "/proc/\(daemon.process.processIdentifier)/smaps", encoding: .utf8)
            var result: [(permissions: Substring, offset: Int, rssKiB: Int, anonymousKiB: Int)] = []
            var ours = false
            for line in smaps.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // A mapping's first line; an anonymous one (.bss follows the data segment) has no path field.
                if fields.count >= 5, fields[0].contains("-"), fields[0].allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                    ours = line.hasSuffix(binary)
                    if ours { result.append((fields[1], Int(fields[2], radix: 16) ?? -1, 0, 0)) }
                } else if ours, fields.count >= 2, fields[0] == "Rss:" {
                    result[result.count - 1].rssKiB = Int(fields[1]) ?? 0
                } else if ours, fields.count >= 2, fields[0] == "Anonymous:" {
                    result[result.count - 1].anonymousKiB = Int(fields[1]) ?? 0
                }
            }
            return result
        }
        /// Resident KiB of the binary's code and constants: its `r-xp` mappings and the `r--p` one at offset 0 (lld
        /// puts the constants in a segment of their own; the other `r--p` mapping is RELRO, written at start).
        func resident(_ daemon: DaemonProcess) throws -> Int {
            try mappings(daemon).filter { $0.permissions == "r-xp" || ($0.permissions == "r--p" && $0.offset == 0) }
                .reduce(0) { $0 + $1.rssKiB }
        }
        /// Resident KiB of the file pages of its writable segment: read since start, never written.
        func residentData(_ daemon: DaemonProcess) throws -> Int {
            try mappings(daemon).filter { $0.permissions == "rw-p" }.reduce(0) { $0 + $1.rssKiB - $1.anonymousKiB }
        }

        func lastSweep(_ daemon: DaemonProcess) async throws -> Double {
            Exposition(text: try await daemon.get("/metrics").body).value("interferencewatch_last_collection_timestamp_seconds") ?? 0
        }

        let kept = try await DaemonProcess(arguments: arguments + ["--no-runtime.release-code-pages"], binary: binary)
        // Past the second sweep of the loop, where the release would have happened, and serving.
        let started = try await lastSweep(kept)
        #expect(try await eventually(within: 30, every: .milliseconds(200)) { try await lastSweep(kept) >= started + 2 })
        let keptKiB = try resident(kept), keptDataKiB = try residentData(kept)
        #expect(!kept.log.contains("released start-up code pages"))
        kept.stop()

        let released = try await DaemonProcess(arguments: arguments, launcher: launcher, binary: binary)
        defer { released.stop() }
        #expect(await eventually(within: 30) { released.log.contains("released start-up code pages") }, "\(released.log.suffix(1500))")
        _ = try await released.get("/metrics")  // serving after the release: the code it runs is mapped back
        let releasedKiB = try resident(released), releasedDataKiB = try residentData(released)
        // With fault-around off (Linux 6.7 on) only what the daemon runs comes back: the debug build on 6.18 keeps
        // 4.3 MiB against 20.8. Without it, under three quarters: kernels from 6.16 read ahead in executable mappings
        // whatever the advice, and the neighbours are mapped along.
        let faultAroundOff = KernelRelease.hasAsyncWriteProtection && !userfaultfdRefused
        #expect(released.log.contains("fault-around off for the daemon's code and libraries") == faultAroundOff,
                "\(released.log.prefix(1500))")
        #expect(released.log.contains("fault-around stays on for the daemon's code") == !faultAroundOff, "\(released.log.prefix(1500))")
        if userfaultfdRefused { #expect(released.log.contains("errno=1 "), "EPERM from the filter: \(released.log.prefix(1500))") }
        #expect(!kept.log.contains("fault-around off"))
        #expect(releasedKiB > 0 && (faultAroundOff ? releasedKiB * 3 < keptKiB : releasedKiB * 4 < keptKiB * 3),
                "resident code and constants: \(releasedKiB) KiB released, \(keptKiB) KiB kept; \(released.log.suffix(1500))")
        // The writable segment's file pages were handed to reclaim (the tests run as root, who may page out any
        // file's pages), and what the daemon read again since is a fraction: the debug build keeps about 0.5 MiB.
        let dataBytes = released.log.firstMatch(of: /data_bytes=([0-9]+)/).flatMap { Int($0.1) } ?? 0
        #expect(dataBytes > 0, "\(released.log.suffix(1500))")
        #expect(keptDataKiB > 0 && releasedDataKiB * 2 < keptDataKiB,
                "file pages of the writable segment: \(releasedDataKiB) KiB released, \(keptDataKiB) KiB kept")
        #expect(try await released.get("/metrics").status == 200)
    }

    @Test func dataSpansAreTheFileBackedPartsOfWritableSegmentsRoundedInward() {
        let bias: UInt = 0x5555_0000_0000
        let segments = [
            Segment(bias: bias, object: 0, flags: Self.read | Self.execute, address: 0x1000, sizeBytes: 0x8000, fileSizeBytes: 0x8000, fileOffset: 0x1000),
            // Data then .bss: only the part read from the file, its partial first and last pages left out.
            Segment(bias: bias, object: 0, flags: Self.read | Self.write, address: 0x1_0010, sizeBytes: 0x9_0000, fileSizeBytes: 0x3_0100, fileOffset: 0x1_0010),
            // .bss alone, and a file part under a page.
            Segment(bias: bias, object: 0, flags: Self.read | Self.write, address: 0x20_0000, sizeBytes: 0x4000, fileSizeBytes: 0, fileOffset: 0x4_0000),
            Segment(bias: bias, object: 0, flags: Self.read | Self.write, address: 0x30_0100, sizeBytes: 0x2000, fileSizeBytes: 0x800, fileOffset: 0x4_0100),
        ]
        #expect(CodePageRelease.dataSpans(segments, pageSizeBytes: 4096) == [bias + 0x1_1000..<bias + 0x4_0000])
    }

    /// A private writable mapping of a cached file, every page read and some written: paging out keeps every written
    /// byte, unmaps the pages only read (the file's own), and reading them again gives the file's bytes.
    @Test func pagingOutFilePagesKeepsWrittenPagesAndUnmapsTheRest() throws {
        let tree = try TemporaryTree()
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE))), pages = 256
        let content = (0..<pages * pageSize).map { UInt8(truncatingIfNeeded: $0 / pageSize &+ $0) }
        try Data(content).write(to: URL(fileURLWithPath: tree.root + "/data"))
        let descriptor = open(tree.root + "/data", O_RDONLY)
        try #require(descriptor >= 0)
        // Written back first: a dirty page in the cache cannot be reclaimed until it is.
        try #require(fsync(descriptor) == 0)
        defer { close(descriptor) }
        let mapped = try #require(mmap(nil, pages * pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0))
        try #require(mapped != MAP_FAILED)
        defer { munmap(mapped, pages * pageSize) }
        let bytes = mapped.assumingMemoryBound(to: UInt8.self)
        var sum = 0
        for page in 0..<pages { sum &+= Int(bytes[page * pageSize]) }  // every page present, the file's own
        for page in stride(from: 0, to: pages, by: 16) { bytes[page * pageSize + 1] = 0xA5 }  // 16 private copies
        let start = UInt64(UInt(bitPattern: mapped)), length = UInt64(pages * pageSize)
        #expect(iw_has_private_pages(start, length) == 1)

        let advised = iw_page_out_file_pages(start, length)
        #expect(advised == Int64((pages - 16) * pageSize), "advised \(advised) bytes, errno \(errno)")
        // Only the 16 written pages are still mapped (a clean file page mapped once is reclaimed at once).
        let present = try Self.presentPages(start: start, pages: pages)
        #expect(present == Set(stride(from: 0, to: pages, by: 16)), "present after the page-out: \(present.sorted())")
        for page in 0..<pages {
            let expected = page % 16 == 0 ? 0xA5 : content[page * pageSize + 1]
            #expect(bytes[page * pageSize + 1] == expected, "page \(page)")
            #expect(bytes[page * pageSize] == content[page * pageSize], "page \(page)")
        }
        #expect(sum > 0)
    }

    /// Pages of this process present in `[start, start + pages)`, by index (/proc/self/pagemap bit 63).
    static func presentPages(start: UInt64, pages: Int) throws -> Set<Int> {
        let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/pagemap"))
        defer { try? handle.close() }
        try handle.seek(toOffset: start / pageSize * 8)
        let data = try #require(try handle.read(upToCount: pages * 8))
        var present = Set<Int>()
        for index in 0..<pages {
            let entry = data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) }
            if entry >> 63 & 1 == 1 { present.insert(index) }
        }
        return present
    }
}
