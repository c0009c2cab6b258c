/// How the libvirt reader finds and polls domains.
struct LibvirtConfiguration: Sendable, Equatable {
    /// The connection URI; always opened read-only (`virsh -r`): memory stats need only `domain:read`.
    var uri: String
    /// Time between two reads of one domain.
    var pollInterval: Duration
    /// Time between two `virsh list --all --name` discoveries.
    var discoveryInterval: Duration
    /// Limit for each virsh invocation.
    var commandTimeout: Duration
    /// Only these domains; `nil` watches every domain the connection lists.
    var domains: [String]?
    /// The virsh executable; `nil` searches `PATH`.
    var virshPath: String?

    init(uri: String = "qemu:///system", pollInterval: Duration = .seconds(5), discoveryInterval: Duration = .seconds(30),
         commandTimeout: Duration = .seconds(5), domains: [String]? = nil, virshPath: String? = nil) {
        self.uri = uri
        self.pollInterval = pollInterval
        self.discoveryInterval = discoveryInterval
        self.commandTimeout = commandTimeout
        self.domains = domains
        self.virshPath = virshPath
    }
}
