import FuzzSupport

// The daemon's config file (`--config`), decoded by the executable's own files (symlinked into this target). The
// file is the operator's, not an attacker's, but `check-config` and SIGHUP reloads must answer a broken file with
// a ConfigError naming a line, never a crash or a hang.
Fuzz.run { bytes in
    do {
        let config = try DaemonConfig.parse(Fuzz.text(bytes), file: "fuzz.yaml")
        Fuzz.require(Set(config.workloads.map(\.name)).count == config.workloads.count, "workload names repeat")
        Fuzz.require(Set(config.groups.map(\.name)).count == config.groups.count, "group names repeat")
        for group in config.groups {
            Fuzz.require(group.servers.count >= 2, "group \(group.name) with fewer than two servers")
        }
    } catch let error as ConfigError {
        Fuzz.require(error.line >= 0 && !error.message.isEmpty, "bad ConfigError \(error)")
    } catch {
        Fuzz.require(false, "config parsing threw something other than a ConfigError: \(error)")
    }
}
