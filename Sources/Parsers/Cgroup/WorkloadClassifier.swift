import Detectors

/// Decides from a cgroup's path whether it is a workload, and names it.
///
/// Pure string logic, so every runtime's naming scheme is covered by table tests:
/// - Docker: v1 cgroupfs driver `/docker/<id>`, systemd driver `/system.slice/docker-<id>.scope`;
/// - podman: `libpod-<id>.scope` (systemd) or `/libpod_parent/libpod-<id>` (cgroupfs); `libpod-conmon-*` is podman's
///   monitor, not the container;
/// - Kubernetes: containerd `cri-containerd-<id>.scope`, CRI-O `crio-<id>.scope`, Docker shim `docker-<id>.scope`,
///   or a bare `<id>` under a `kubepods` path (cgroupfs driver);
/// - libvirt: `machine-qemu\x2d<N>\x2d<name>.scope` (systemd, both versions), `<…>.libvirt-qemu` (v1 cgroupfs);
/// - systemd services: `/system.slice/<unit>.service`.
/// A container's `workload` is the first 12 hex digits of its id, as `docker ps` shows it.
public enum WorkloadClassifier {
    public struct Classification: Equatable, Sendable {
        public var name: String
        public var kind: WorkloadKind

        public init(name: String, kind: WorkloadKind) {
            self.name = name
            self.kind = kind
        }
    }

    public enum Verdict: Equatable, Sendable {
        /// A workload: read it and do not descend further (its children are its own business).
        case workload(Classification)
        /// Part of a container runtime but not a workload (conmon): skip it and its children.
        case ignore
        /// Not a workload: keep walking below it.
        case descend
    }

    /// - Parameter components: the path's components below the hierarchy root (`["system.slice", "nginx.service"]`).
    public static func classify(_ components: [Substring]) -> Verdict {
        guard let last = components.last else { return .descend }
        let parent = components.count >= 2 ? components[components.count - 2] : nil

        if last.hasPrefix("libpod-conmon-") || last.hasPrefix("crio-conmon-") { return .ignore }
        // On UTF-8 bytes: a 1000-container host classifies 1000 names every sweep, and walking Characters cost more
        // than reading the cgroup. An id is ASCII hex, so a name that differs char-wise fails `isContainerID` either way.
        for prefix in Self.containerPrefixes where last.utf8.starts(with: prefix) {
            var id = last.utf8.dropFirst(prefix.count)
            if id.count > Self.scope.count && id.suffix(Self.scope.count).elementsEqual(Self.scope) { id = id.dropLast(Self.scope.count) }
            if Self.isContainerID(id) { return .workload(Classification(name: String(decoding: id.prefix(12), as: UTF8.self), kind: .container)) }
        }
        if Self.isContainerID(last) {
            if parent == "docker" || components.contains(where: { $0.hasPrefix("kubepods") }) {
                return .workload(Classification(name: String(last.prefix(12)), kind: .container))
            }
        }
        if last.hasPrefix("machine-") && last.hasSuffix(".scope") {
            let unit = Self.unescapeSystemd(String(last.dropFirst("machine-".count).dropLast(".scope".count)))
            if let name = Self.libvirtDomainName(fromMachine: unit) {
                return .workload(Classification(name: name, kind: .vm))
            }
        }
        // A bare `.libvirt-qemu` names no machine; it would be a VM called "".
        if last.hasSuffix(".libvirt-qemu"), last.count > ".libvirt-qemu".count {
            let machine = String(last.dropLast(".libvirt-qemu".count))
            return .workload(Classification(name: Self.libvirtDomainName(fromMachine: machine) ?? machine, kind: .vm))
        }
        if parent == "system.slice" && last.hasSuffix(".service") {
            return .workload(Classification(name: String(last), kind: .service))
        }
        return .descend
    }

    /// Container ids are 64 lowercase hex digits; accept 32 or more to cover runtimes with shorter ids.
    public static func isContainerID(_ text: Substring) -> Bool {
        self.isContainerID(text.utf8)
    }

    private static func isContainerID(_ utf8: Substring.UTF8View) -> Bool {
        guard utf8.count >= 32 else { return false }
        return utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    private static let containerPrefixes = ["docker-", "libpod-", "cri-containerd-", "crio-"].map { Array($0.utf8) }
    private static let scope = Array(".scope".utf8)

    /// `qemu-3-web-1` (libvirt ≥ 4.x adds the domain id) gives `web-1`; `qemu-web-1` (older libvirt) gives `web-1`.
    public static func libvirtDomainName(fromMachine machine: String) -> String? {
        guard machine.hasPrefix("qemu-") else { return nil }
        let rest = machine.dropFirst("qemu-".count)
        if let dash = rest.firstIndex(of: "-"), !rest[..<dash].isEmpty, rest[..<dash].allSatisfy(\.isNumber) {
            let name = rest[rest.index(after: dash)...]
            return name.isEmpty ? nil : String(name)
        }
        return rest.isEmpty ? nil : String(rest)
    }

    /// Decodes systemd's `\xNN` escapes (`machine-qemu\x2d1\x2dweb.scope`).
    public static func unescapeSystemd(_ text: String) -> String {
        guard text.contains("\\x") else { return text }
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count, utf8[i + 1] == UInt8(ascii: "x"),
               let high = Self.hexValue(utf8[i + 2]), let low = Self.hexValue(utf8[i + 3]) {
                bytes.append(high << 4 | low)
                i += 4
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 97...102: byte - 87
        case 65...70: byte - 55
        default: nil
        }
    }
}
