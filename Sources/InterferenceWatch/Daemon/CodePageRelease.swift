import CFileShims
import Glibc
import Logging

/// Gives back the pages of the daemon's own code and constants that start-up mapped, and keeps later faults to the
/// pages really used.
///
/// Why: the binary carries 30 MB of code (Foundation, ICU, NIO, SQLite's wrapper, the daemon) and 8 MB of constants
/// and unwind tables, of which a steady daemon uses a few MiB. When a page is first touched the kernel also maps the
/// 64 KiB around it that are in the page cache (fault-around), and readahead has put most of the binary there, so
/// under load about 20 MiB of code and 2 MiB of constants stayed resident: two fifths of the daemon's memory
/// (bench/code-pages.py shows it). Once start-up is over this tells the kernel the pages are read at random
/// (`MADV_RANDOM`: no readahead), then, 64 KiB at a time, unmaps them (`MADV_DONTNEED`) and drops them from the page
/// cache (`POSIX_FADV_DONTNEED`). From then on a page is read and mapped when it is used, and what only start-up used
/// stays out.
///
/// Chunk by chunk, because the daemon's threads keep running: unmapping everything and then dropping the cache would
/// leave them a window in which every page they touch is mapped again with its cached neighbours, which then cannot
/// be dropped. A chunk's window is a few microseconds, and a page touched after its chunk went has no cached
/// neighbours left to map with it.
///
/// Kernels from 6.16 on read ahead in executable mappings whatever the advice, so there the code comes back in larger
/// runs (measured under load on 6.18: 16.7 MiB of code instead of 19.8, the constants 0.1 MiB instead of 1.7).
///
/// Only segments the loader maps read-only are touched: their pages always equal the file, so unmapping them loses
/// nothing and the next access reads them again. Writable segments (data, and the relocated pointers made read-only
/// afterwards, RELRO, which sit in a writable load segment) are never touched; lld links without text relocations,
/// so code pages are never written either. Needs no privilege: the daemon's own mappings and a file it can read.
///
/// The program's writable segment is not unmapped: a page written since start is a private copy. Its file pages,
/// the type metadata and tables start-up read but never wrote (2.5 MiB of this binary), are handed to reclaim
/// instead (`MADV_PAGEOUT`), which never loses data: a page written meanwhile is a private copy and is left alone or
/// swapped. Under load only about 0.4 MiB of them came back (bench/README.md, "Free pages returned every second").
/// The kernel reclaims file pages only for a process that owns the file or may write it: as root, not as a service
/// user running a root-owned binary (``Outcome/dataBytes`` counts what was advised, not what the kernel took).
///
/// A page another process maps (a second daemon from the same file) stays cached, and a filesystem that keeps
/// every page (tmpfs) drops none; ``Outcome/stillCachedBytes`` tells how much stayed.
///
/// With ``FaultAround`` off, neighbours are no longer mapped along whatever is cached, so the shared libraries'
/// read-only segments are unmapped too (their pages stay in the cache: other processes use them). Only spans in which
/// every present page is still the file's own are: a library with text relocations has private copies there.
enum CodePageRelease {
    /// Whole pages of one read-only segment, in memory and in the file.
    struct Span: Equatable {
        var addresses: Range<UInt>
        /// Where `addresses.lowerBound` is read from.
        var fileOffset: UInt
    }

    /// What a release did.
    struct Outcome: Equatable {
        /// Bytes of the read-only segments unmapped and dropped.
        var releasedBytes: Int
        /// Of those, bytes in the page cache right after: used again since (and read ahead with them), mapped by
        /// another process, or kept by the filesystem.
        var stillCachedBytes: Int
        /// Bytes of the shared libraries' read-only segments unmapped (with fault-around off only).
        var libraryBytes = 0
        /// Bytes of file pages in the program's writable segments advised to be reclaimed.
        var dataBytes = 0
    }

    /// Unmapped and dropped together: the kernel's fault-around window.
    static let chunkBytes: UInt = 64 << 10

    /// The parts of `segments` that may be unmapped: not writable, rounded inward to whole pages so a page shared
    /// with a neighbouring segment is left alone.
    static func releasableSpans(_ segments: [LoadedSegment], pageSizeBytes: UInt) -> [Span] {
        segments.compactMap { segment in
            guard !segment.isWritable, segment.sizeBytes > 0 else { return nil }
            let start = segment.bias &+ segment.address
            guard let pages = Self.wholePages(start, start &+ segment.sizeBytes, pageSizeBytes: pageSizeBytes) else { return nil }
            return Span(addresses: pages, fileOffset: segment.fileOffset + (pages.lowerBound - start))
        }
    }

    /// The whole pages inside `[start, end)`, `nil` when there is none: a page shared with a neighbour is left out.
    private static func wholePages(_ start: UInt, _ end: UInt, pageSizeBytes: UInt) -> Range<UInt>? {
        let first = (start + pageSizeBytes - 1) / pageSizeBytes * pageSizeBytes, last = end / pageSizeBytes * pageSizeBytes
        return first < last ? first..<last : nil
    }

    /// The file-backed parts of the writable ones among `segments`, rounded inward to whole pages: where unwritten
    /// pages are still the file's own.
    static func dataSpans(_ segments: [LoadedSegment], pageSizeBytes: UInt) -> [Range<UInt>] {
        segments.compactMap { segment in
            guard segment.isWritable, segment.fileSizeBytes > 0 else { return nil }
            let start = segment.bias &+ segment.address
            return Self.wholePages(start, start &+ min(segment.fileSizeBytes, segment.sizeBytes), pageSizeBytes: pageSizeBytes)
        }
    }

    /// Releases the main program's read-only pages, with `libraries` the shared libraries' and with `dataPages` the
    /// file pages of its writable segment (see the type's comment); `nil`, logged, when it cannot.
    static func release(logger: Logger, libraries: Bool = false, dataPages: Bool = true) -> Outcome? {
        let pageSizeBytes = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let program = LoadedSegment.all().filter { $0.object == 0 }
        let spans = Self.releasableSpans(program, pageSizeBytes: pageSizeBytes)
        guard !spans.isEmpty else {
            logger.notice("code pages not released: no read-only segment in the program headers")
            return nil
        }
        let binary = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        guard binary >= 0 else {
            logger.notice("code pages not released: cannot open /proc/self/exe", metadata: ["errno": "\(errno)"])
            return nil
        }
        defer { close(binary) }
        for span in spans {
            guard madvise(Self.pointer(span.addresses.lowerBound), span.addresses.count, MADV_RANDOM) == 0 else {
                logger.notice("code pages not released: madvise(MADV_RANDOM) failed",
                              metadata: ["range": "\(Self.hex(span.addresses))", "errno": "\(errno)"])
                return nil
            }
        }
        let starts = spans.map { UInt64($0.addresses.lowerBound) }, lengths = spans.map { UInt64($0.addresses.count) }
        let offsets = spans.map { UInt64($0.fileOffset) }
        if iw_drop_file_pages(binary, starts, lengths, offsets, Int32(spans.count), UInt64(Self.chunkBytes)) != 0 {
            // Nothing is lost: a page left mapped or cached only stays resident.
            logger.notice("code pages partly released: madvise or posix_fadvise failed", metadata: ["errno": "\(errno)"])
        }
        return Outcome(releasedBytes: spans.reduce(0) { $0 + $1.addresses.count },
                       stillCachedBytes: spans.reduce(0) { $0 + Self.cachedBytes($1.addresses, pageSizeBytes: pageSizeBytes) },
                       libraryBytes: libraries ? Self.releaseLibraries(pageSizeBytes: pageSizeBytes, logger: logger) : 0,
                       dataBytes: dataPages ? Self.pageOutData(Self.dataSpans(program, pageSizeBytes: pageSizeBytes), logger: logger) : 0)
    }

    /// Hands the file pages of `spans` to reclaim; the bytes advised.
    private static func pageOutData(_ spans: [Range<UInt>], logger: Logger) -> Int {
        var advised = 0
        for range in spans {
            // No readahead on a fault there from now on, as for the code: the reclaimed pages leave the page cache,
            // and a fault that read ahead would bring their neighbours back into it, mapped along by fault-around
            // where it is still on (the debug build's 1.2 MiB all came back within two sweeps without this).
            _ = madvise(Self.pointer(range.lowerBound), range.count, MADV_RANDOM)
            let bytes = iw_page_out_file_pages(UInt64(range.lowerBound), UInt64(range.count))
            if bytes >= 0 {
                advised += Int(bytes)
            } else {
                // Nothing is lost: the pages only stay resident (a kernel before 5.4 has no MADV_PAGEOUT).
                logger.notice("data pages not paged out: madvise(MADV_PAGEOUT) or /proc/self/pagemap failed",
                              metadata: ["range": "\(Self.hex(range))", "errno": "\(errno)"])
            }
        }
        return advised
    }

    /// Unmaps the shared libraries' read-only segments that hold no private page; the bytes unmapped.
    private static func releaseLibraries(pageSizeBytes: UInt, logger: Logger) -> Int {
        var released = 0
        for range in Self.releasableSpans(LoadedSegment.all().filter { $0.object > 0 }, pageSizeBytes: pageSizeBytes).map(\.addresses) {
            let start = UInt64(range.lowerBound), length = UInt64(range.count)
            guard iw_has_private_pages(start, length) == 0 else { continue }
            if madvise(Self.pointer(range.lowerBound), range.count, MADV_DONTNEED) == 0 {
                released += range.count
            } else {
                logger.notice("library pages not released: madvise(MADV_DONTNEED) failed",
                              metadata: ["range": "\(Self.hex(range))", "errno": "\(errno)"])
            }
        }
        return released
    }

    /// Bytes of `range` in the page cache (`mincore`); 0 when it cannot tell.
    private static func cachedBytes(_ range: Range<UInt>, pageSizeBytes: UInt) -> Int {
        var vector = [UInt8](repeating: 0, count: range.count / Int(pageSizeBytes))
        guard mincore(Self.pointer(range.lowerBound), range.count, &vector) == 0 else { return 0 }
        return vector.reduce(0) { $0 + Int($1 & 1) } * Int(pageSizeBytes)
    }

    private static func pointer(_ address: UInt) -> UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: address) }

    private static func hex(_ range: Range<UInt>) -> String {
        "0x" + String(range.lowerBound, radix: 16) + "-0x" + String(range.upperBound, radix: 16)
    }
}
