import Glibc

/// The boot clock: seconds since the host booted, suspend included (`CLOCK_BOOTTIME`). Nothing sets it, so it is
/// what a wall clock that NTP or an operator stepped is checked against, and what intervals between sweeps use.
enum BootClock {
    static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
