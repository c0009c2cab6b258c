/// The config file's VM sections.
///
/// ```yaml
/// qmp:
///   sockets: ["/run/interference-watch/qmp/*.sock"]   # globs; each VM needs a second -qmp socket for us
///   guest_stats_interval: 10                          # seconds; absent = never change the VM's polling
/// libvirt:
///   uri: qemu:///system                               # read-only connection
/// ```
struct VMSettings: Sendable, Equatable {
    /// Socket paths or globs.
    var qmpSockets: [String] = []
    /// Set `guest-stats-polling-interval` to this many seconds; `nil` leaves the VM alone.
    var guestStatsIntervalSeconds: Int?
    var libvirtURI: String?

    mutating func parseQMP(_ node: ConfigNode) throws {
        let fields = try node.mapping(allowed: ["sockets", "guest_stats_interval"])
        if let sockets = fields["sockets"] { self.qmpSockets = try sockets.sequence().map { try $0.nonEmptyString() } }
        self.guestStatsIntervalSeconds = try fields["guest_stats_interval"]?.int(in: 1...3600)
    }

    mutating func parseLibvirt(_ node: ConfigNode) throws {
        let fields = try node.mapping(allowed: ["uri"])
        self.libvirtURI = try fields["uri"]?.nonEmptyString()
    }
}
