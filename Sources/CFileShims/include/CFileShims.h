// Small wrappers over stat(2), clock_gettime(2) and prctl(2) for the daemon. Swift sees `struct stat` and `struct timespec`
// as declared by whichever imported C module included their headers first; with NIO's and BoringSSL's modules in
// the build that attribution moves between builds, so the daemon calls these instead of the structs. Also what
// keeps the daemon's code and data pages to those it uses (dl_iterate_phdr(3), userfaultfd(2), /proc/self/pagemap,
// MADV_PAGEOUT), whose headers Glibc's Swift module does not export or whose values are newer than Debian 12's
// kernel headers.
#ifndef CFILESHIMS_H
#define CFILESHIMS_H
#include <stdint.h>

/// The file type bits (st_mode & S_IFMT) of `path`, or 0 when it cannot be stat'ed.
uint32_t iw_file_type(const char *path);
/// S_IFREG, S_IFDIR and S_IFSOCK, as this libc defines them.
uint32_t iw_type_regular(void);
uint32_t iw_type_directory(void);
uint32_t iw_type_socket(void);
/// CLOCK_REALTIME as seconds and nanoseconds.
void iw_realtime(int64_t *seconds, int64_t *nanoseconds);
/// CLOCK_MONOTONIC in seconds.
double iw_monotonic_seconds(void);
/// prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` when the parent exits (prctl is variadic, so Swift
/// cannot call it). Returns 0, or -1 with errno set.
int iw_set_parent_death_signal(int signal);

/// Unmaps `count` ranges of the program's own read-only mapping of `fd` (MADV_DONTNEED) and drops them from the page
/// cache (POSIX_FADV_DONTNEED): first what nothing maps, then `chunk_bytes` (not 0) at a time, each chunk unmapped
/// and then its part of the file dropped, and the whole file once more at the end. In C so that between the two
/// calls of a chunk only these few instructions run, not the Swift runtime's. Returns 0, or -1 with errno set by the
/// first call that failed.
int iw_drop_file_pages(int fd, const uint64_t *starts, const uint64_t *lengths, const uint64_t *file_offsets, int count,
                       uint64_t chunk_bytes);
/// One loadable segment (PT_LOAD) of a loaded object, with the object's load bias.
typedef struct {
    uint64_t bias;  // dlpi_addr
    uint32_t object;  // dl_iterate_phdr(3) order: 0 is the main program
    uint32_t flags;  // p_flags
    uint64_t address;  // p_vaddr, link time
    uint64_t file_offset;  // p_offset
    uint64_t size_bytes;  // p_memsz
    uint64_t file_size_bytes;  // p_filesz: the part read from the file, the rest is zero-filled (.bss)
} iw_object_segment;
/// Up to `capacity` loadable segments of every loaded object except the vDSO (no file behind it), the main program's
/// first. Returns how many there are.
int iw_loaded_segments(iw_object_segment *segments, int capacity);
/// Opens a userfaultfd in asynchronous write-protect mode (UFFD_FEATURE_WP_ASYNC, Linux 6.7 and later; user-mode
/// faults only, so no privilege is needed) and registers `count` page-aligned ranges with it. Nothing is ever
/// write-protected: registering is what matters, because the kernel maps no neighbours of a faulting page in a
/// range registered for write-protection (fault-around, and whole large folios). A range that cannot be registered
/// is skipped: `accepted[i]` tells which were registered. A registered range is also advised MADV_NOHUGEPAGE, so a
/// huge-page-sized folio in the page cache is not mapped whole either. Returns the descriptor, which must stay open for as long as
/// the effect is wanted (closing it unregisters); or -1 with errno set by the first failure when none could be.
int iw_fault_around_off(const uint64_t *starts, const uint64_t *lengths, int count, uint8_t *accepted);
/// Whether any present page in `[start, start + length)` of this process is private (anonymous, a copy-on-write
/// copy) rather than the file's own page, from /proc/self/pagemap. 1 yes, 0 no, -1 with errno set when unreadable.
int iw_has_private_pages(uint64_t start, uint64_t length);
/// Asks the kernel to reclaim the present file pages in `[start, start + length)` of this process (MADV_PAGEOUT,
/// Linux 5.4 and later), run by run of them; private copies are left alone. Safe in a writable mapping while other
/// threads run: reclaim never loses data, and a page written in between is a private copy and only swapped out.
/// The kernel skips file pages of a file this process neither owns nor may write. Returns the bytes advised, or -1
/// with errno set when nothing could be (pagemap unreadable, every madvise refused).
int64_t iw_page_out_file_pages(uint64_t start, uint64_t length);

#endif
