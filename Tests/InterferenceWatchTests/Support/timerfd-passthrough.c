// Preloaded before libfaketime by WallClockStepTests, so timer file descriptors reach the kernel unchanged.
//
// libfaketime 0.9.10 moves every absolute timerfd deadline by its fake offset, CLOCK_MONOTONIC and CLOCK_BOOTTIME
// ones too (FAKETIME_DONT_FAKE_MONOTONIC notwithstanding). libdispatch arms its timers that way, so after a fake
// step back of an hour every Task.sleep in the daemon would wait an hour more. An NTP step moves CLOCK_REALTIME
// only and leaves those timers alone: this makes the fake step do the same. The daemon arms no CLOCK_REALTIME
// timerfd, so passing them all through changes nothing else.
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

int timerfd_settime(int fd, int flags, const struct itimerspec *new_value, struct itimerspec *old_value) {
    return (int)syscall(SYS_timerfd_settime, fd, flags, new_value, old_value);
}

int timerfd_gettime(int fd, struct itimerspec *curr_value) {
    return (int)syscall(SYS_timerfd_gettime, fd, curr_value);
}
