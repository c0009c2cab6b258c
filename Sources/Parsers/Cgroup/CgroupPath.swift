/// Cgroup paths as the config file and the command line give them, in the one form the collector compares.
///
/// Pure string logic, in the parser library so the config decoding (which normalises `advice.capacity_cgroup`)
/// needs nothing from the collectors; that keeps it linkable by the config fuzzer.
public enum CgroupPath {
    /// `lab/s1/` and `/lab/s1` both give `/lab/s1`; the hierarchy root (`/`, or nothing) gives `""`.
    public static func normalise(_ path: String) -> String {
        var path = path.hasPrefix("/") ? path : "/" + path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path == "/" ? "" : path
    }
}
