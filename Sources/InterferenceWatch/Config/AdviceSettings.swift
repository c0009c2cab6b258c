import Parsers

/// The config file's `advice:` section: what the host-RAM advice sizes and how it treats balloons.
///
/// ```yaml
/// advice:
///   capacity_cgroup: /lab.slice     # size the workloads under this cgroup against its limit
///   balloon_floor: 0.5              # every VM may be ballooned to half its size without counting as short
///   balloon_floors: {vm1: 768MiB}   # per VM
/// ```
/// `--capacity.cgroup` wins over `capacity_cgroup`.
struct AdviceSettings: Sendable, Equatable {
    var capacityCgroup: String?
    var balloonFloorFraction: Double?
    var balloonFloorBytes: [String: UInt64] = [:]

    static func parse(_ node: ConfigNode) throws -> AdviceSettings {
        let fields = try node.mapping(allowed: ["capacity_cgroup", "balloon_floor", "balloon_floors"])
        var settings = AdviceSettings()
        if let path = fields["capacity_cgroup"] { settings.capacityCgroup = CgroupPath.normalise(try path.nonEmptyString()) }
        if let floor = fields["balloon_floor"] {
            let value = try floor.double()
            guard (0...1).contains(value) else { throw floor.error("balloon_floor: expected a fraction from 0 to 1, like 0.5") }
            settings.balloonFloorFraction = value
        }
        if let floors = fields["balloon_floors"] {
            for (vm, sizeNode) in try floors.entries() {
                let text = try sizeNode.nonEmptyString()
                guard let bytes = ByteSizeParser.bytes(text), bytes > 0 else {
                    throw sizeNode.error("expected a size like 768MiB, got \"\(text)\"")
                }
                settings.balloonFloorBytes[vm] = UInt64(bytes)
            }
        }
        return settings
    }
}
