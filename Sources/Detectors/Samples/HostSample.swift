/// Host-wide memory signals exactly as read: cumulative counters stay cumulative.
///
/// Rates are derived later, in one pure step (``HostModel``), so history keeps what the kernel said.
public struct HostSample: Sendable, Equatable, Codable {
    /// `/proc/meminfo`, keys as in the file (`MemTotal`, `SwapFree`, ...), values converted to bytes when the line
    /// carries `kB`. Absent keys are absent, never zero.
    public var meminfoBytes: [String: UInt64]
    /// `/proc/vmstat`, keys as in the file (`pswpin`, `pgmajfault`, ...), raw counts (pages or events).
    public var vmstat: [String: UInt64]
    /// `/proc/pressure/<resource>`; no entry on kernels without PSI (before 4.20, or `psi=0`).
    public var pressure: [PSIResource: PSIStats]

    public init(meminfoBytes: [String: UInt64] = [:], vmstat: [String: UInt64] = [:],
                pressure: [PSIResource: PSIStats] = [:]) {
        self.meminfoBytes = meminfoBytes
        self.vmstat = vmstat
        self.pressure = pressure
    }

    private enum CodingKeys: String, CodingKey { case meminfoBytes, vmstat, pressure }

    /// Every part defaults to empty, so a record from before a part existed still decodes (see ``StoredRecord``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.meminfoBytes = try c.decodeIfPresent([String: UInt64].self, forKey: .meminfoBytes) ?? [:]
        self.vmstat = try c.decodeIfPresent([String: UInt64].self, forKey: .vmstat) ?? [:]
        self.pressure = try c.decodeIfPresent([PSIResource: PSIStats].self, forKey: .pressure) ?? [:]
    }
}
