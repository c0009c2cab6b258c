import Glibc

/// The running kernel's release, for tests of behaviour that came with a kernel version.
enum KernelRelease {
    /// Major and minor version from uname(2) (`6.18.44-...` is 6, 18); 0, 0 when unreadable.
    static let version: (major: Int, minor: Int) = {
        var name = utsname()
        guard uname(&name) == 0 else { return (0, 0) }
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return numbers.count == 2 ? (numbers[0], numbers[1]) : (0, 0)
    }()

    /// Asynchronous userfaultfd write protection of any mapping (`UFFD_FEATURE_WP_ASYNC`) came with Linux 6.7.
    static var hasAsyncWriteProtection: Bool { Self.version >= (6, 7) }
}
