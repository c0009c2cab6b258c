/*
 * cgroup-reader: the C baseline for bench/cgroup-sweep.sh.
 *
 * Reads, per sweep, the same files interference-watch reads on a cgroup v1 hybrid host:
 *   host:       /proc/meminfo, /proc/vmstat, /proc/pressure/{memory,cpu,io}
 *   per cgroup: <memory>/<cg>/memory.usage_in_bytes, memory.limit_in_bytes, memory.memsw.usage_in_bytes,
 *               memory.stat, memory.failcnt, memory.oom_control, and <unified>/<cg>/memory.pressure
 * and lists the directories the daemon lists (the memory root and the parent of the cgroups), so discovery is paid
 * for too. Files are read until read() returns 0, as the daemon does. No parsing: this is the floor for the I/O.
 *
 * Modes:
 *   close   open/read/close every file every sweep
 *   pread   open every file once (warm-up sweep), then pread(fd, buf, n, 0) each sweep; as the daemon does, at most
 *           half the descriptor limit stay open (the rest are opened, read and closed every sweep), so a host whose
 *           hard limit is below 7 files a cgroup is measured under the same budget the daemon has
 *   Add "-1" (close-1, pread-1) to stop after one short read instead of reading until 0 (seq_file fills the buffer
 *   up to EOF, so a short read is the end): the cost of the extra EOF syscall.
 *
 * Usage: cgroup-reader MODE MEMORY_ROOT UNIFIED_ROOT PARENT PREFIX SWEEPS
 *   e.g. cgroup-reader close /sys/fs/cgroup/memory /sys/fs/cgroup/unified /system.slice docker- 50
 * Cgroups are the directories in PARENT whose names start with PREFIX. Prints one key=value line:
 *   cgroups=N files=F sweep_cpu_ms=X (CPU = user + system from getrusage, averaged over SWEEPS after one warm-up).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *v1_files[] = {
    "memory.usage_in_bytes", "memory.limit_in_bytes", "memory.memsw.usage_in_bytes",
    "memory.stat", "memory.failcnt", "memory.oom_control",
};
#define V1_FILES (sizeof v1_files / sizeof v1_files[0])
static const char *host_files[] = {
    "/proc/meminfo", "/proc/vmstat", "/proc/pressure/memory", "/proc/pressure/cpu", "/proc/pressure/io",
};
#define HOST_FILES (sizeof host_files / sizeof host_files[0])

static char buf[16 << 10];
static unsigned long long checksum;
static int single_read;

static char **paths;  /* every file path, host files first */
static int *fds;      /* pread mode: cached descriptors, -1 when not open */
static size_t npaths, cappaths;

static void add_path(const char *path) {
    if (npaths == cappaths) {
        cappaths = cappaths ? cappaths * 2 : 1024;
        paths = realloc(paths, cappaths * sizeof *paths);
        fds = realloc(fds, cappaths * sizeof *fds);
        if (!paths || !fds) { perror("realloc"); exit(1); }
    }
    paths[npaths] = strdup(path);
    fds[npaths] = -1;
    npaths++;
}

static void consume(ssize_t n) {
    if (n > 0) checksum += (unsigned char)buf[0] + (unsigned long long)n;
}

static void read_fd(int fd, int use_pread) {
    off_t off = 0;
    for (;;) {
        ssize_t n = use_pread ? pread(fd, buf, sizeof buf, off) : read(fd, buf, sizeof buf);
        if (n < 0) { if (errno == EINTR) continue; return; }
        if (n == 0) return;
        consume(n);
        off += n;
        if (single_read && (size_t)n < sizeof buf) return;
    }
}

/* Lists a directory (as the daemon's discovery walk does) and returns the number of entries seen. */
static size_t list_dir(const char *dir, const char *prefix, const char *parent_rel, const char *memory_root,
                       const char *unified_root, int collect) {
    DIR *d = opendir(dir);
    if (!d) { perror(dir); exit(1); }
    size_t count = 0;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR) continue;
        count++;
        if (!collect || strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        for (size_t i = 0; i < V1_FILES; i++) {
            snprintf(path, sizeof path, "%s%s/%s/%s", memory_root, parent_rel, e->d_name, v1_files[i]);
            add_path(path);
        }
        snprintf(path, sizeof path, "%s%s/%s/memory.pressure", unified_root, parent_rel, e->d_name);
        add_path(path);
    }
    closedir(d);
    return count;
}

static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s close|pread|close-1|pread-1 MEMORY_ROOT UNIFIED_ROOT PARENT PREFIX SWEEPS\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1], *memory_root = argv[2], *unified_root = argv[3], *parent_rel = argv[4], *prefix = argv[5];
    int sweeps = atoi(argv[6]);
    int keep_open = strncmp(mode, "pread", 5) == 0;
    single_read = strchr(mode, '1') != NULL;
    if (sweeps < 1 || sweeps > 100000) { fprintf(stderr, "bad SWEEPS\n"); return 2; }

    struct rlimit lim;
    size_t budget = 256, cached = 0;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        if (getrlimit(RLIMIT_NOFILE, &lim) == 0) budget = lim.rlim_cur / 2;  /* the daemon's CachedFileReader rule */
    }

    char parent_dir[PATH_MAX];
    snprintf(parent_dir, sizeof parent_dir, "%s%s", memory_root, parent_rel);

    double start = 0;
    size_t cgroups = 0;
    for (int sweep = 0; sweep <= sweeps; sweep++) {  /* sweep 0 is the warm-up */
        if (sweep == 1) start = cpu_seconds();
        /* Discovery: the daemon lists the hierarchy root and the parent every sweep. */
        list_dir(memory_root, prefix, parent_rel, memory_root, unified_root, 0);
        if (keep_open && sweep > 0) {
            list_dir(parent_dir, prefix, parent_rel, memory_root, unified_root, 0);
        } else {
            for (size_t i = 0; i < npaths; i++) free(paths[i]);
            npaths = 0;
            for (size_t i = 0; i < HOST_FILES; i++) add_path(host_files[i]);
            list_dir(parent_dir, prefix, parent_rel, memory_root, unified_root, 1);
            cgroups = (npaths - HOST_FILES) / (V1_FILES + 1);
        }
        for (size_t i = 0; i < npaths; i++) {
            if (keep_open && (fds[i] >= 0 || cached < budget)) {
                if (fds[i] < 0) {
                    fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
                    if (fds[i] < 0) { perror(paths[i]); return 1; }
                    cached++;
                }
                read_fd(fds[i], 1);
            } else {
                int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
                if (fd < 0) { perror(paths[i]); return 1; }
                read_fd(fd, 0);
                close(fd);
            }
        }
    }
    double cpu = (cpu_seconds() - start) / sweeps;
    printf("cgroups=%zu files=%zu open=%zu sweep_cpu_ms=%.3f checksum=%llu\n", cgroups, npaths, cached, cpu * 1000,
           checksum % 1000);
    return 0;
}
