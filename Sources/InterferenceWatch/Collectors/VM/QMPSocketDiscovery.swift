import CFileShims
import Glibc

/// Expands the configured QMP socket paths and globs into the sockets to watch.
///
/// A literal path (no `*`, `?` or `[`) is always watched, existing or not: the operator named that VM, so a dead or
/// missing socket must show as `vm_up 0`. A glob (`/run/interference-watch/qmp/*.sock`) yields only the Unix sockets
/// that exist when it is expanded, so VMs appear and disappear as their sockets do.
struct QMPSocketDiscovery: Sendable, Equatable {
    /// Paths and globs, in the order given (flags first, then the config file).
    var patterns: [String]

    init(patterns: [String]) {
        self.patterns = patterns
    }

    /// The sockets to watch now: sorted, without duplicates.
    func socketPaths() -> [String] {
        var paths: Set<String> = []
        for pattern in self.patterns where !pattern.isEmpty {
            if Self.isGlob(pattern) {
                paths.formUnion(Self.expand(pattern).filter(Self.isSocket))
            } else {
                paths.insert(pattern)
            }
        }
        return paths.sorted()
    }

    /// Whether `path` is named as such (not only matched by a glob): such a VM is watched even while its socket is
    /// missing.
    func isLiteral(_ path: String) -> Bool {
        self.patterns.contains { $0 == path && !Self.isGlob($0) }
    }

    static func isGlob(_ pattern: String) -> Bool {
        pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// glob(3); no match (or an unreadable directory) is an empty list.
    static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(cString: $0) }
        }
    }

    static func isSocket(_ path: String) -> Bool {
        iw_file_type(path) == iw_type_socket()
    }
}
