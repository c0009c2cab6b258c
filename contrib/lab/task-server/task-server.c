/*
 * task-server: the study's API server as one small static program, so the lab's four system models (host
 * processes, containers, VMs, containers in VMs) run the same binary and differ only in how they are isolated.
 *
 * The study's servers (node.js express) answered a GET by performing 2,000,000 small writes that produce a ~30 MB
 * file and returning the task time. This does the same with one write(2) per call, as node's per-call writes did:
 *
 *   GET /task[?writes=N]  200 {"task_seconds":1.234567,"writes":2000000,"bytes":30000000,"server":"s1","served":7}
 *                         Server-Timing: task;dur=1234.567
 *   GET /healthz          200 ok
 *
 * --heap-mb M keeps M MiB of private memory and touches every page of it once per task: a node server's heap is
 * part of every request's work, so when the host swaps that heap out, the next task pays to read it back. Without
 * it a task only writes page cache, which the kernel reclaims without ever slowing the writer much.
 *
 * --resident-mb M allocates and fills M MiB once and never touches it again: cold memory that a guest OS and its
 * container runtime keep resident. In a VM it makes the guest's RAM as full as the study's Ubuntu guests were, so
 * the host has to swap or balloon it away under load.
 *
 * One connection at a time, "Connection: close": the study's client sends one request per server per round, and
 * a single-threaded server keeps the measured work free of any scheduling of our own.
 *
 * Build: cc -O2 -static -o task-server task-server.c   (contrib/lab/task-server/build.sh)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static struct {
    const char *bind;
    int port;
    long writes;
    long size;
    long max_writes;
    long heap_mb;
    long resident_mb;
    const char *dir;
    const char *name;
    int quiet;
    int fsync_file;
} opt = {"127.0.0.1", 8081, 2000000, 15, 20000000, 0, 0, "/tmp", NULL, 0, 0};

static unsigned char *heap;
static size_t heap_bytes;
static long served;

static void die(const char *what) {
    fprintf(stderr, "task-server: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void) {
    fprintf(stderr,
            "usage: task-server [--bind ADDR] [--port N] [--writes N] [--size BYTES] [--max-writes N]\n"
            "                   [--heap-mb MIB] [--resident-mb MIB] [--dir PATH] [--name NAME] [--fsync] [--quiet]\n");
    exit(2);
}

static long number_arg(const char *flag, const char *value, long min) {
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < min) {
        fprintf(stderr, "task-server: %s needs a whole number >= %ld, got \"%s\"\n", flag, min, value);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quiet")) { opt.quiet = 1; continue; }
        if (!strcmp(a, "--fsync")) { opt.fsync_file = 1; continue; }
        if (!v) usage();
        if (!strcmp(a, "--bind")) opt.bind = v;
        else if (!strcmp(a, "--port")) opt.port = (int)number_arg(a, v, 0);
        else if (!strcmp(a, "--writes")) opt.writes = number_arg(a, v, 1);
        else if (!strcmp(a, "--size")) opt.size = number_arg(a, v, 1);
        else if (!strcmp(a, "--max-writes")) opt.max_writes = number_arg(a, v, 1);
        else if (!strcmp(a, "--heap-mb")) opt.heap_mb = number_arg(a, v, 0);
        else if (!strcmp(a, "--resident-mb")) opt.resident_mb = number_arg(a, v, 0);
        else if (!strcmp(a, "--dir")) opt.dir = v;
        else if (!strcmp(a, "--name")) opt.name = v;
        else usage();
        i++;
    }
    if (opt.size > 65536) { fprintf(stderr, "task-server: --size is at most 65536\n"); exit(2); }
}

/* The task: the heap touched once, then `writes` write(2) calls of `size` bytes into a fresh file. */
static int run_task(long writes, double *seconds) {
    static char block[65536];
    char path[4096];
    double start = now_seconds();
    for (size_t off = 0; off < heap_bytes; off += 4096) heap[off]++;
    snprintf(path, sizeof path, "%s/task-server.%d.XXXXXX", opt.dir, (int)getpid());
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    unlink(path);
    memset(block, 'x', (size_t)opt.size);
    for (long i = 0; i < writes; i++) {
        if (write(fd, block, (size_t)opt.size) != opt.size) { int e = errno; close(fd); errno = e; return -1; }
    }
    if (opt.fsync_file) fsync(fd);
    close(fd);
    *seconds = now_seconds() - start;
    return 0;
}

/* Maps and fills a region with pseudo-random bytes, so a compressing swap (zswap) cannot make it free to keep. */
static unsigned char *filled_region(size_t bytes, const char *flag) {
    unsigned char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die(flag);
    unsigned seed = (unsigned)getpid();
    for (size_t off = 0; off + 4 <= bytes; off += 4) {
        seed = seed * 1103515245u + 12345u;
        memcpy(p + off, &seed, 4);
    }
    return p;
}

static void send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n <= 0) { if (n < 0 && errno == EINTR) continue; return; }
        buf += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, int status, const char *reason, const char *extra_headers, const char *body) {
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
                     status, reason, body[0] == '{' ? "application/json" : "text/plain", strlen(body),
                     extra_headers ? extra_headers : "");
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

static void handle(int fd) {
    char req[8192];
    size_t used = 0;
    /* Read until the end of the request head; a GET has no body. */
    while (used < sizeof req - 1) {
        ssize_t n = read(fd, req + used, sizeof req - 1 - used);
        if (n <= 0) { if (n < 0 && errno == EINTR) continue; return; }
        used += (size_t)n;
        req[used] = 0;
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
    }
    req[used] = 0;
    char method[16], target[2048];
    if (sscanf(req, "%15s %2047s", method, target) != 2) {
        respond(fd, 400, "Bad Request", NULL, "{\"error\":\"malformed request line\"}\n");
        return;
    }
    if (strcmp(method, "GET")) { respond(fd, 405, "Method Not Allowed", NULL, "{\"error\":\"only GET\"}\n"); return; }
    if (!strcmp(target, "/healthz")) { respond(fd, 200, "OK", NULL, "ok\n"); return; }
    if (strncmp(target, "/task", 5) || (target[5] && target[5] != '?')) {
        respond(fd, 404, "Not Found", NULL, "{\"error\":\"no such path; try /task or /healthz\"}\n");
        return;
    }
    long writes = opt.writes;
    const char *q = strstr(target, "writes=");
    if (q && target[5] == '?') {
        char *end = NULL;
        long w = strtol(q + 7, &end, 10);
        if (end == q + 7 || (*end && *end != '&') || w < 1 || w > opt.max_writes) {
            char body[128];
            snprintf(body, sizeof body, "{\"error\":\"writes must be 1 to %ld\"}\n", opt.max_writes);
            respond(fd, 400, "Bad Request", NULL, body);
            return;
        }
        writes = w;
    }
    double seconds = 0;
    if (run_task(writes, &seconds) != 0) {
        char body[256];
        snprintf(body, sizeof body, "{\"error\":\"task failed in %s: %s\"}\n", opt.dir, strerror(errno));
        respond(fd, 500, "Internal Server Error", NULL, body);
        return;
    }
    served++;
    char headers[128], body[512];
    snprintf(headers, sizeof headers, "Server-Timing: task;dur=%.3f\r\n", seconds * 1000);
    snprintf(body, sizeof body,
             "{\"task_seconds\":%.6f,\"writes\":%ld,\"bytes\":%ld,\"server\":\"%s\",\"served\":%ld}\n", seconds,
             writes, writes * opt.size, opt.name, served);
    respond(fd, 200, "OK", headers, body);
    if (!opt.quiet) fprintf(stderr, "task-server %s: task %.3f s (%ld writes)\n", opt.name, seconds, writes);
}

int main(int argc, char **argv) {
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    if (opt.heap_mb > 0) {
        heap_bytes = (size_t)opt.heap_mb << 20;
        heap = filled_region(heap_bytes, "--heap-mb");
    }
    if (opt.resident_mb > 0) filled_region((size_t)opt.resident_mb << 20, "--resident-mb");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) die("socket");
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    if (inet_pton(AF_INET, opt.bind, &addr.sin_addr) != 1) { fprintf(stderr, "task-server: bad --bind %s\n", opt.bind); return 2; }
    if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(s, 64) < 0) die("listen");
    socklen_t len = sizeof addr;
    getsockname(s, (struct sockaddr *)&addr, &len);
    char default_name[64];
    if (!opt.name) {
        snprintf(default_name, sizeof default_name, "%s:%d", opt.bind, ntohs(addr.sin_port));
        opt.name = default_name;
    }
    /* The port on stdout, so a caller that asked for port 0 learns which one it got. */
    printf("task-server %s listening on %s:%d\n", opt.name, opt.bind, ntohs(addr.sin_port));
    fflush(stdout);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) { if (errno == EINTR || errno == ECONNABORTED) continue; die("accept"); }
        struct timeval tv = {.tv_sec = 10};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        handle(c);
        close(c);
    }
}
