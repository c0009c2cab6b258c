import CFileShims

/// How the cgroup filesystem is mounted under the configured root.
///
/// - `v2`: one unified hierarchy at the root (`cgroup.controllers` exists there).
/// - `v1`: one hierarchy per controller (`<root>/memory`), as on Ubuntu 18.04 with `systemd.unified_cgroup_hierarchy=0`.
/// - hybrid: v1 controllers plus an empty-controller v2 tree at `<root>/unified`, which still carries per-cgroup
///   `memory.pressure` on kernels with PSI.
enum CgroupLayout: Sendable, Equatable {
    case v1(memoryRoot: String, unifiedRoot: String?)
    case v2(root: String)

    /// `v1`, `hybrid` or `v2`, as the `layout` label says.
    var name: String {
        switch self {
        case .v1(_, let unified): unified == nil ? "v1" : "hybrid"
        case .v2: "v2"
        }
    }

    /// The hierarchy whose tree is walked to find workloads (the one holding memory numbers).
    var walkRoot: String {
        switch self {
        case .v1(let memoryRoot, _): memoryRoot
        case .v2(let root): root
        }
    }

    /// Detects the layout under `root`; `nil` when no memory hierarchy is there.
    static func detect(root: String) -> CgroupLayout? {
        if Self.isFile(root + "/cgroup.controllers") { return .v2(root: root) }
        guard Self.isDirectory(root + "/memory"), Self.isFile(root + "/memory/memory.usage_in_bytes")
                || Self.isFile(root + "/memory/memory.stat")
        else { return nil }
        let unified = root + "/unified"
        return .v1(memoryRoot: root + "/memory", unifiedRoot: Self.isFile(unified + "/cgroup.controllers") ? unified : nil)
    }

    static func isFile(_ path: String) -> Bool {
        iw_file_type(path) == iw_type_regular()
    }

    static func isDirectory(_ path: String) -> Bool {
        iw_file_type(path) == iw_type_directory()
    }
}
