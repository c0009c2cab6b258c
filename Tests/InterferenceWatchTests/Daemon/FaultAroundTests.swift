import CFileShims
import Foundation
import Glibc
import Logging
import Testing

@testable import InterferenceWatch

/// Turning fault-around off: which pages are registered, and that a registered mapping gets exactly the pages
/// touched, reads the file's bytes and still copies on write.
struct FaultAroundTests {
    private typealias Segment = LoadedSegment
    private static let read: UInt32 = 4, write: UInt32 = 2, execute: UInt32 = 1
    private static let pageSizeBytes = UInt(sysconf(Int32(_SC_PAGESIZE)))

    @Test func theFileBackedPartOfEverySegmentIsRegisteredRoundedInward() {
        let bias: UInt = 0x5555_0000_0000
        let segments = [
            Segment(bias: bias, object: 0, flags: Self.read, address: 0, sizeBytes: 0x84_efdc, fileSizeBytes: 0x84_efdc, fileOffset: 0),
            Segment(bias: bias, object: 0, flags: Self.read | Self.execute, address: 0x85_0000, sizeBytes: 0x1d9_4210,
                    fileSizeBytes: 0x1d9_4210, fileOffset: 0x84_f000),
            // Data then .bss: only what the file fills, and not the page where the zero fill starts.
            Segment(bias: bias, object: 0, flags: Self.read | Self.write, address: 0x271_b500, sizeBytes: 0x26a_1000,
                    fileSizeBytes: 0x254_9c10, fileOffset: 0x271_8500),
            // A library's segment under a page, and one with nothing read from the file.
            Segment(bias: 0x7f00_0000_0000, object: 3, flags: Self.read, address: 0x10, sizeBytes: 0xff0, fileSizeBytes: 0xff0, fileOffset: 0x10),
            Segment(bias: 0x7f00_0000_0000, object: 3, flags: Self.read | Self.write, address: 0x2_0000, sizeBytes: 0x8000,
                    fileSizeBytes: 0, fileOffset: 0x2_0000),
        ]
        #expect(FaultAround.registrableRanges(segments, pageSizeBytes: 4096) == [
            bias..<bias + 0x84_e000,
            bias + 0x85_0000..<bias + 0x25e_4000,
            bias + 0x271_c000..<bias + 0x4c6_5000,
        ])
    }

    @Test func theLoadedSegmentsAreTheProgramsFirstThenItsLibrariesWithoutTheVDSO() throws {
        let segments = LoadedSegment.all()
        let main = segments.filter { $0.object == 0 }
        #expect(main.contains { $0.flags & Self.execute != 0 })
        #expect(segments.first?.object == 0)
        // libc at least: the test binary links it dynamically.
        #expect(segments.contains { $0.object > 0 && $0.flags & Self.execute != 0 })
        let maps = String(decoding: try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps")).readToEnd() ?? Data(),
                          as: UTF8.self)
        let vdso = try #require(maps.split(separator: "\n").first { $0.hasSuffix("[vdso]") }).split(separator: " ")[0]
            .split(separator: "-").compactMap { UInt($0, radix: 16) }
        try #require(vdso.count == 2)
        #expect(!segments.contains { ($0.bias + $0.address..<$0.bias + $0.address + $0.sizeBytes).overlaps(vdso[0]..<vdso[1]) })
    }

    /// A cached file mapped twice: touched at one byte per MiB, the plain mapping gets the touched pages' neighbours
    /// too, the registered one exactly the pages touched, with the file's bytes; a private writable registered
    /// mapping still copies on write and leaves the file alone.
    @Test func aRegisteredMappingGetsOnlyThePagesTouched() throws {
        let tree = try TemporaryTree()
        let path = tree.root + "/file"
        let sizeBytes = 16 << 20, strideBytes = 1 << 20
        var contents = [UInt8](repeating: 0, count: sizeBytes)
        for index in stride(from: 0, to: sizeBytes, by: 4096) { contents[index] = UInt8(truncatingIfNeeded: index >> 12) }
        try Data(contents).write(to: URL(fileURLWithPath: path))
        let descriptor = open(path, O_RDONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        _ = contents.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, sizeBytes, 0) }  // cached in full

        func map(_ protection: Int32) throws -> UnsafeMutableRawPointer {
            let address = mmap(nil, sizeBytes, protection, MAP_PRIVATE, descriptor, 0)
            try #require(address != MAP_FAILED)
            return address!
        }
        func touch(_ base: UnsafeMutableRawPointer) -> [UInt8] {
            stride(from: 0, to: sizeBytes, by: strideBytes).map { base.load(fromByteOffset: $0, as: UInt8.self) }
        }
        let expected = stride(from: 0, to: sizeBytes, by: strideBytes).map { UInt8(truncatingIfNeeded: $0 >> 12) }

        let plain = try map(PROT_READ)
        defer { munmap(plain, sizeBytes) }
        #expect(touch(plain) == expected)
        let plainPages = try Self.presentPages(plain, sizeBytes)

        let registered = try map(PROT_READ), writable = try map(PROT_READ | PROT_WRITE)
        defer { munmap(registered, sizeBytes); munmap(writable, sizeBytes) }
        var accepted: [UInt8] = [0, 0]
        let fault = iw_fault_around_off([UInt64(UInt(bitPattern: registered)), UInt64(UInt(bitPattern: writable))],
                                        [UInt64(sizeBytes), UInt64(sizeBytes)], 2, &accepted)
        guard KernelRelease.hasAsyncWriteProtection else {
            #expect(fault == -1 && errno != 0, "Linux before 6.7 has no asynchronous write protection")
            return
        }
        try #require(fault >= 0, "userfaultfd refused: errno \(errno)")
        defer { close(fault) }
        #expect(accepted == [1, 1])
        #expect(touch(registered) == expected)
        let touched = sizeBytes / strideBytes
        let registeredPages = try Self.presentPages(registered, sizeBytes)
        #expect(registeredPages == touched, "\(registeredPages) pages present for \(touched) touched")
        #expect(plainPages > touched, "the plain mapping maps neighbours: \(plainPages) pages for \(touched) touched")

        // Copy on write, as without the registration: the mapping sees its write, the file does not.
        writable.storeBytes(of: 0xAB, toByteOffset: 4096 * 3 + 1, as: UInt8.self)
        #expect(writable.load(fromByteOffset: 4096 * 3 + 1, as: UInt8.self) == 0xAB)
        #expect(writable.load(fromByteOffset: 4096 * 3, as: UInt8.self) == 3)
        var onDisk: UInt8 = 0
        #expect(pread(descriptor, &onDisk, 1, 4096 * 3 + 1) == 1 && onDisk == 0)
        #expect(iw_has_private_pages(UInt64(UInt(bitPattern: writable)), UInt64(sizeBytes)) == 1)
        #expect(iw_has_private_pages(UInt64(UInt(bitPattern: registered)), UInt64(sizeBytes)) == 0)
    }

    /// Turning it off for this very test process, then releasing its code and libraries: the process keeps running,
    /// and the libraries' read-only pages went too.
    @Test func theTestProcessRunsOnWithFaultAroundOffAndItsLibrariesReleased() throws {
        guard KernelRelease.hasAsyncWriteProtection else {
            #expect(FaultAround.turnOff(logger: .init(label: "test")) == nil)
            return
        }
        let outcome = try #require(FaultAround.turnOff(logger: .init(label: "test")))
        defer { close(outcome.descriptor) }
        #expect(outcome.registeredRanges > 0 && outcome.registeredBytes > 0)
        let release = try #require(CodePageRelease.release(logger: .init(label: "test"), libraries: true, dataPages: false))
        #expect(release.releasedBytes > 0 && release.libraryBytes > 0)
    }

    /// Present pages of `[base, base + sizeBytes)`, from /proc/self/pagemap (bit 63).
    private static func presentPages(_ base: UnsafeMutableRawPointer, _ sizeBytes: Int) throws -> Int {
        let pagemap = open("/proc/self/pagemap", O_RDONLY)
        try #require(pagemap >= 0)
        defer { close(pagemap) }
        let pages = sizeBytes / Int(Self.pageSizeBytes)
        var entries = [UInt64](repeating: 0, count: pages)
        let offset = off_t(UInt(bitPattern: base) / Self.pageSizeBytes * 8)
        let read = entries.withUnsafeMutableBytes { pread(pagemap, $0.baseAddress, pages * 8, offset) }
        try #require(read == pages * 8)
        return entries.filter { $0 >> 63 == 1 }.count
    }
}
