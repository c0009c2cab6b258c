// Small wrappers over stat(2) and clock_gettime(2) for the daemon. Swift sees `struct stat` and `struct timespec`
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

#endif
