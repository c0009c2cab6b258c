// libproc2 (procps 4): only the process table is used; system-wide files are parsed by our own readers
// because libproc2 hard-codes /proc and lags behind new kernel keys.
#include <libproc2/pids.h>
#include <libproc2/misc.h>
// statfs(2): Glibc's Swift module does not export it; the file reader uses it to tell kernel pseudo-files apart.
#include <sys/vfs.h>
// mallopt(3): the daemon tunes glibc malloc first thing in main (see MallocTuning).
#include <malloc.h>
