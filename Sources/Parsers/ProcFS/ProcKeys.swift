/// The `/proc` keys something in the daemon reads (the exposition, the signal model, the RAM advice).
///
/// A malformed line for one of these is a real error (a counter we rely on went missing); a malformed line for any
/// other key is a kernel novelty and is skipped. Add a key here when code starts reading it.
public enum ProcKeys {
    /// `/proc/meminfo` keys.
    public static let meminfo: Set<String> = [
        "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "AnonPages", "Dirty", "SwapTotal", "SwapFree",
        "SwapCached",
    ]

    /// `/proc/vmstat` keys.
    public static let vmstat = Set([
        "pswpin", "pswpout", "pgmajfault", "pgfault", "oom_kill", "workingset_refault", "workingset_refault_anon",
        "workingset_refault_file",
    ] + ["kswapd", "direct", "khugepaged", "proactive"].flatMap { ["pgscan_" + $0, "pgsteal_" + $0] })
}
