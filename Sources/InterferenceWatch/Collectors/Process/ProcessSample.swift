/// One process as libproc2 reports it.
struct ProcessSample: Sendable, Equatable {
    var pid: Int32
    /// `comm` (stat/status Name), at most 15 characters.
    var command: String
    /// `/proc/<pid>/cmdline`, split at NULs; empty for kernel threads.
    var commandLine: [String]
    /// The cgroup v2 path (`0::/…` line), if any.
    var cgroupV2: String?
    /// The v1 memory controller's path (`N:memory:/…` line), if any.
    var cgroupV1Memory: String?
    /// `VmRSS`, bytes.
    var rssBytes: UInt64
    /// `VmSwap`, bytes.
    var swapBytes: UInt64
    /// `maj_flt` from stat.
    var majorFaults: UInt64

    /// Parses `/proc/<pid>/cgroup` lines (`12:memory:/docker/abc`, `0::/system.slice/x.service`).
    static func cgroupPaths(_ lines: [String]) -> (v1Memory: String?, v2: String?) {
        var v1: String?
        var v2: String?
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty {
                v2 = String(parts[2])
            } else if parts[1].split(separator: ",").contains("memory") {
                v1 = String(parts[2])
            }
        }
        return (v1, v2)
    }
}
