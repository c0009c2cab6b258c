// Small wrappers over stat(2), clock_gettime(2) and prctl(2) for the daemon. Swift sees `struct stat` and `struct timespec`
// as declared by whichever imported C module included their headers first; with NIO's and BoringSSL's modules in
// the build that attribution moves between builds, so the daemon calls these instead of the structs.
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

#endif
