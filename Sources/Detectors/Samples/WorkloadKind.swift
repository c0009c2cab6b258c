/// What a workload is, as the `type` label says it.
public enum WorkloadKind: String, Sendable, Codable, CaseIterable, Comparable {
    /// A container (Docker, podman, containerd, CRI-O).
    case container
    /// A virtual machine (libvirt's machine.slice scope, or a QEMU found by QMP).
    case vm
    /// A systemd service unit.
    case service
    /// A cgroup named in the config file.
    case cgroup
    /// A group of plain processes named in the config file (the study's "bare host" servers).
    case process

    public static func < (lhs: WorkloadKind, rhs: WorkloadKind) -> Bool { lhs.rawValue < rhs.rawValue }
}
