/// The output of `virsh dommemstat <domain>`: one `name value` pair per line.
///
/// ```
/// actual 2097152
/// swap_in 0
/// unused 1048576
/// available 2097152
/// usable 1048576
/// last_update 627319920
/// disk_caches 262144
/// rss 1048576
/// ```
/// Memory values are KiB (libvirt divides QEMU's bytes by 1024); `major_fault`/`minor_fault` are counts and
/// `last_update` is Unix seconds. Which lines appear depends on the guest driver: a missing line means "not
/// reported" (libvirt's `VIR_DOMAIN_MEMORY_STAT_*` tags, include/libvirt/libvirt-domain.h).
public struct DomMemStat: Sendable, Equatable {
    /// Every `name value` line, values as printed.
    public var values: [String: UInt64]

    /// Parses the output; lines that are not `name <unsigned>` are skipped (virsh adds a trailing blank line).
    public init(parsing text: String) {
        var values: [String: UInt64] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2, let value = UInt64(fields[1]) else { continue }
            values[String(fields[0])] = value
        }
        self.values = values
    }

    public init(values: [String: UInt64]) {
        self.values = values
    }

    /// A KiB value converted to bytes.
    public func bytes(_ key: String) -> UInt64? {
        self.values[key].map { $0.multipliedReportingOverflow(by: 1024).overflow ? UInt64.max : $0 * 1024 }
    }

    /// A count (faults) or seconds value, as printed.
    public func count(_ key: String) -> UInt64? { self.values[key] }
}
