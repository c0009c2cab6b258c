/// The filesystem roots every collector reads under, so tests and containers can point them elsewhere.
///
/// Mirrors node_exporter's `--path.procfs` / `--path.sysfs`, plus `--path.cgroupfs` for hosts (or containers)
/// that mount the cgroup tree somewhere unusual.
struct CollectorPaths: Sendable, Equatable {
    /// procfs mount point, default `/proc`.
    var procfs: String
    /// sysfs mount point, default `/sys`.
    var sysfs: String
    /// cgroup root, default `<sysfs>/fs/cgroup`.
    var cgroupfs: String

    init(procfs: String = "/proc", sysfs: String = "/sys", cgroupfs: String? = nil) {
        self.procfs = Self.trimmed(procfs)
        self.sysfs = Self.trimmed(sysfs)
        self.cgroupfs = Self.trimmed(cgroupfs ?? (Self.trimmed(sysfs) + "/fs/cgroup"))
    }

    /// Whether procfs is the live `/proc` (libproc2 can only read that one).
    var isLiveProcfs: Bool { self.procfs == "/proc" }

    func proc(_ relative: String) -> String { self.procfs + "/" + relative }

    private static func trimmed(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
