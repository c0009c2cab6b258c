#include "CFileShims.h"
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
