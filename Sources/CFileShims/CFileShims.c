#define _GNU_SOURCE
#include "CFileShims.h"
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

uint32_t iw_file_type(const char *path) {
    struct stat info;
    if (stat(path, &info) != 0) return 0;
    return (uint32_t)(info.st_mode & S_IFMT);
}

uint32_t iw_type_regular(void) { return S_IFREG; }
uint32_t iw_type_directory(void) { return S_IFDIR; }
uint32_t iw_type_socket(void) { return S_IFSOCK; }

void iw_realtime(int64_t *seconds, int64_t *nanoseconds) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    *seconds = (int64_t)now.tv_sec;
    *nanoseconds = (int64_t)now.tv_nsec;
}

double iw_monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int iw_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0); }

int iw_drop_file_pages(int fd, const uint64_t *starts, const uint64_t *lengths, const uint64_t *file_offsets, int count,
                       uint64_t chunk_bytes) {
    if (chunk_bytes == 0) { errno = EINVAL; return -1; }
    int failed = 0, saved = 0;
    // What nothing maps goes first, so a fault from here on finds no cached neighbours beyond the chunk at hand.
    int error = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (error) { failed = 1; saved = error; }
    for (int i = 0; i < count; i++) {
        for (uint64_t done = 0; done < lengths[i]; done += chunk_bytes) {
            uint64_t length = lengths[i] - done < chunk_bytes ? lengths[i] - done : chunk_bytes;
            if (madvise((void *)(uintptr_t)(starts[i] + done), length, MADV_DONTNEED) != 0 && !failed) {
                failed = 1;
                saved = errno;
            }
            error = posix_fadvise(fd, (off_t)(file_offsets[i] + done), (off_t)length, POSIX_FADV_DONTNEED);
            if (error && !failed) { failed = 1; saved = error; }
        }
    }
    // Once more for what was read in meanwhile (read ahead with a page in use) and is not mapped.
    error = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (error && !failed) { failed = 1; saved = error; }
    if (failed) { errno = saved; return -1; }
    return 0;
}

typedef struct {
    iw_object_segment *segments;
    int capacity;
    int count;
    uint32_t object;
} iw_object_walk;

static int iw_every_object(struct dl_phdr_info *info, size_t size, void *context) {
    (void)size;
    iw_object_walk *walk = context;
    uint32_t object = walk->object++;
    // The vDSO is the kernel's, not a file's; glibc names it after its soname.
    if (object > 0 && info->dlpi_name && strncmp(info->dlpi_name, "linux-vdso", 10) == 0) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[i];
        if (header->p_type != PT_LOAD) continue;
        if (walk->count < walk->capacity) {
            iw_object_segment *segment = &walk->segments[walk->count];
            segment->bias = (uint64_t)info->dlpi_addr;
            segment->object = object;
            segment->flags = header->p_flags;
            segment->address = (uint64_t)header->p_vaddr;
            segment->file_offset = (uint64_t)header->p_offset;
            segment->size_bytes = (uint64_t)header->p_memsz;
            segment->file_size_bytes = (uint64_t)header->p_filesz;
        }
        walk->count++;
    }
    return 0;
}

int iw_loaded_segments(iw_object_segment *segments, int capacity) {
    iw_object_walk walk = {segments, capacity, 0, 0};
    dl_iterate_phdr(iw_every_object, &walk);
    return walk.count;
}

// Newer than the kernel headers of Debian 12 (6.1); the values are the kernel's ABI.
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

int iw_fault_around_off(const uint64_t *starts, const uint64_t *lengths, int count, uint8_t *accepted) {
    int registered = 0;
    for (int i = 0; i < count; i++) accepted[i] = 0;
    int descriptor = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (descriptor < 0) return -1;
    // Asynchronous: a write fault in a protected page would be resolved by the kernel itself, so no thread ever
    // waits on this descriptor (and nothing is protected anyway). It is also what lets file mappings be registered.
    struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC};
    if (ioctl(descriptor, UFFDIO_API, &api) != 0) {
        int saved = errno;
        close(descriptor);
        errno = saved;
        return -1;
    }
    int first_error = 0;
    for (int i = 0; i < count; i++) {
        struct uffdio_register range = {.range = {.start = starts[i], .len = lengths[i]}, .mode = UFFDIO_REGISTER_MODE_WP};
        if (ioctl(descriptor, UFFDIO_REGISTER, &range) == 0) {
            accepted[i] = 1;
            registered++;
            // Registration keeps faults to one page table entry, but a folio of a huge page's size in the cache
            // would still be mapped whole by one page-middle-directory entry where the addresses allow it.
            (void)madvise((void *)(uintptr_t)starts[i], lengths[i], MADV_NOHUGEPAGE);
        } else if (!first_error) {
            first_error = errno;
        }
    }
    if (registered == 0) {
        close(descriptor);
        errno = first_error;
        return -1;
    }
    return descriptor;
}

int iw_has_private_pages(uint64_t start, uint64_t length) {
    long page = sysconf(_SC_PAGESIZE);
    int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pagemap < 0) return -1;
    uint64_t entries[512];
    uint64_t pages = length / (uint64_t)page, done = 0;
    int found = 0;
    while (done < pages && !found) {
        uint64_t batch = pages - done < 512 ? pages - done : 512;
        off_t at = (off_t)((start / (uint64_t)page + done) * sizeof(uint64_t));
        ssize_t got = pread(pagemap, entries, batch * sizeof(uint64_t), at);
        if (got <= 0) {
            int saved = got < 0 ? errno : EIO;
            close(pagemap);
            errno = saved;
            return -1;
        }
        uint64_t read = (uint64_t)got / sizeof(uint64_t);
        // Bit 63: present; bit 62: swapped; bit 61: a file page (or shared anonymous). Present or swapped and not a
        // file page is a private copy.
        for (uint64_t i = 0; i < read; i++) {
            uint64_t entry = entries[i];
            if ((entry >> 63 & 1 || entry >> 62 & 1) && !(entry >> 61 & 1)) { found = 1; break; }
        }
        done += read;
    }
    close(pagemap);
    return found;
}

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

// Advises the run of `bytes` from `address`, adding what was advised or keeping the first error.
static void page_out_run(uint64_t address, uint64_t bytes, uint64_t *advised, int *first_error) {
    if (bytes == 0) return;
    if (madvise((void *)(uintptr_t)address, bytes, MADV_PAGEOUT) == 0) {
        *advised += bytes;
    } else if (!*first_error) {
        *first_error = errno;
    }
}

int64_t iw_page_out_file_pages(uint64_t start, uint64_t length) {
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pagemap < 0) return -1;
    uint64_t entries[512];
    uint64_t pages = length / page, done = 0, advised = 0;
    uint64_t run_start = 0, run_pages = 0;  // the current run of present file pages, by page index
    int first_error = 0;
    while (done < pages) {
        uint64_t batch = pages - done < 512 ? pages - done : 512;
        off_t at = (off_t)((start / page + done) * sizeof(uint64_t));
        ssize_t got = pread(pagemap, entries, batch * sizeof(uint64_t), at);
        if (got <= 0) {
            first_error = got < 0 ? errno : EIO;
            break;
        }
        uint64_t read = (uint64_t)got / sizeof(uint64_t);
        for (uint64_t i = 0; i < read; i++) {
            // Bit 63: present; bit 61: a file page. A private copy (written since) is skipped: paging it out would
            // only push it to swap. A run goes on across batches.
            if ((entries[i] >> 63 & 1) && (entries[i] >> 61 & 1)) {
                if (run_pages == 0) run_start = done + i;
                run_pages++;
            } else {
                page_out_run(start + run_start * page, run_pages * page, &advised, &first_error);
                run_pages = 0;
            }
        }
        done += read;
    }
    page_out_run(start + run_start * page, run_pages * page, &advised, &first_error);
    close(pagemap);
    if (advised == 0 && first_error) {
        errno = first_error;
        return -1;
    }
    return (int64_t)advised;
}
