import Glibc
import Parsers

/// Walks a cgroup hierarchy and lists the workloads in it.
///
/// Stops at each classified workload (a container's or VM's inner cgroups are not separate workloads), so a sweep
/// lists only the directories above the workloads, not every leaf. Each directory's children are visited in name
/// order (kernfs lists them in hash order).
enum CgroupDiscovery {
    struct Found: Equatable, Sendable {
        /// Path relative to the hierarchy root, starting with `/`.
        var path: String
        var classification: WorkloadClassifier.Classification
    }

    /// Deep enough for kubepods (`/kubepods.slice/kubepods-burstable.slice/…pod….slice/cri-containerd-….scope`).
    static let maxDepth = 8

    static func walk(root: String) -> [Found] {
        var found: [Found] = []
        var components: [Substring] = []
        self.walk(root: root, relative: "", components: &components, into: &found)
        return found
    }

    private static func walk(root: String, relative: String, components: inout [Substring], into found: inout [Found]) {
        guard components.count < self.maxDepth, let dir = opendir(root + relative) else { return }
        defer { closedir(dir) }
        var children: [String] = []
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) || entry.pointee.d_type == UInt8(DT_UNKNOWN) else { continue }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) && !CgroupLayout.isDirectory(root + relative + "/" + name) {
                continue
            }
            children.append(name)
        }
        // Name order, so the sweep's workloads come out (nearly always) in label order and need no sort there.
        children.sort()
        // One components array for the whole walk (pushed and popped), not a copy per child.
        for name in children {
            components.append(Substring(name))
            defer { components.removeLast() }
            switch WorkloadClassifier.classify(components) {
            case .workload(let classification):
                found.append(Found(path: relative + "/" + name, classification: classification))
            case .ignore:
                continue
            case .descend:
                self.walk(root: root, relative: relative + "/" + name, components: &components, into: &found)
            }
        }
    }
}
