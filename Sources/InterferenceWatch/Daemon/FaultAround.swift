import CFileShims
import Glibc
import Logging

/// Turns off the kernel's mapping of untouched neighbours for the daemon's own code, constants and libraries, so
/// that a page is resident because the daemon used it.
///
/// Why: when a page of a file mapping is first touched the kernel also maps the neighbours that are in the page
/// cache: the 64 KiB around it (fault-around), and where the cache holds the file in large folios (ext4 on recent
/// kernels) up to the whole folio. On 6.18, a cached 64 MB file mapped read-only and touched at one byte per MiB got
/// 7.7 MiB mapped when it had been written in 1 MiB blocks, all 64 MiB when it had been read in whole. Readahead puts
/// most of a binary in the cache, so the daemon, which runs about 8.6 MiB of its 30 MB of code, had 16 to 20 MiB of
/// it resident under load (bench/README.md, "Fault-around off"), and its libraries and the file pages of its
/// writable segment (where the linker put `.rodata`) several MiB more.
///
/// How: a range registered with a userfaultfd for write protection gets exactly one page per fault, since the kernel
/// tracks each page's protection. In asynchronous mode (`UFFD_FEATURE_WP_ASYNC`, Linux 6.7) any mapping may be
/// registered, file mappings included, and a fault on a protected page would be resolved by the kernel itself.
/// Nothing is ever protected, so no fault ever reaches the descriptor and no thread waits on it: registering changes
/// what is mapped along, and nothing else. Closing the descriptor would undo it, so it stays open (close-on-exec)
/// for the daemon's life. The ranges are also advised `MADV_NOHUGEPAGE`: a folio of a huge page's size in the cache
/// would otherwise be mapped whole, 2 MiB at once, wherever the addresses line up with the file.
///
/// Done at start, before the collectors and the server run, so little beyond the loader's and the runtime's first
/// pages is mapped the old way; ``CodePageRelease`` unmaps those one interval later. Where userfaultfd is missing or
/// refused (kernels before 6.7, a seccomp filter such as container runtimes' default profile), nothing changes and
/// the reason is logged once.
enum FaultAround {
    /// What turning it off did.
    struct Outcome: Equatable {
        /// The userfaultfd that keeps the ranges registered; never closed.
        var descriptor: Int32
        var registeredRanges: Int
        var registeredBytes: Int
        /// Ranges the kernel refused (logged; they keep fault-around).
        var refusedRanges: Int
    }

    /// The file-backed whole pages of `segments`: from each segment's start to the end of what the file fills,
    /// rounded inward, so a page shared with a neighbouring segment or holding the start of `.bss` is left out.
    static func registrableRanges(_ segments: [LoadedSegment], pageSizeBytes: UInt) -> [Range<UInt>] {
        segments.compactMap { segment in
            let start = segment.bias &+ segment.address, end = start &+ min(segment.fileSizeBytes, segment.sizeBytes)
            let first = (start + pageSizeBytes - 1) / pageSizeBytes * pageSizeBytes, last = end / pageSizeBytes * pageSizeBytes
            return first < last ? first..<last : nil
        }
    }

    /// Registers the loaded objects' file-backed pages (see the type's comment); `nil`, logged, when it cannot.
    static func turnOff(logger: Logger) -> Outcome? {
        let ranges = Self.registrableRanges(LoadedSegment.all(), pageSizeBytes: UInt(sysconf(Int32(_SC_PAGESIZE))))
        let starts = ranges.map { UInt64($0.lowerBound) }, lengths = ranges.map { UInt64($0.count) }
        var accepted = [UInt8](repeating: 0, count: ranges.count)
        let descriptor = iw_fault_around_off(starts, lengths, Int32(ranges.count), &accepted)
        guard descriptor >= 0 else {
            let error = errno
            logger.notice("fault-around stays on for the daemon's code: userfaultfd with asynchronous write protection is missing (Linux before 6.7) or refused", metadata: [
                "errno": "\(error)", "error": "\(String(cString: strerror(error)))", "ranges": "\(ranges.count)"])
            return nil
        }
        let registered = zip(ranges, accepted).filter { $0.1 != 0 }.map(\.0)
        return Outcome(descriptor: descriptor, registeredRanges: registered.count,
                       registeredBytes: registered.reduce(0) { $0 + $1.count }, refusedRanges: ranges.count - registered.count)
    }
}
