#define _GNU_SOURCE
#include "CFileShims.h"
#include <errno.h>
#include <fcntl.h>
#include <link.h>
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

typedef struct {
    uint64_t *bias;
    iw_segment *segments;
    int capacity;
    int count;
} iw_segment_walk;

static int iw_first_object(struct dl_phdr_info *info, size_t size, void *context) {
    (void)size;
    iw_segment_walk *walk = context;
    *walk->bias = (uint64_t)info->dlpi_addr;
    walk->count = info->dlpi_phnum;
    for (int i = 0; i < info->dlpi_phnum && i < walk->capacity; i++) {
        walk->segments[i].type = info->dlpi_phdr[i].p_type;
        walk->segments[i].flags = info->dlpi_phdr[i].p_flags;
        walk->segments[i].address = (uint64_t)info->dlpi_phdr[i].p_vaddr;
        walk->segments[i].file_offset = (uint64_t)info->dlpi_phdr[i].p_offset;
        walk->segments[i].size_bytes = (uint64_t)info->dlpi_phdr[i].p_memsz;
    }
    return 1;  // the main program is reported first: stop there
}

int iw_main_program_segments(uint64_t *bias, iw_segment *segments, int capacity) {
    iw_segment_walk walk = {bias, segments, capacity, 0};
    *bias = 0;
    dl_iterate_phdr(iw_first_object, &walk);
    return walk.count;
}

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
