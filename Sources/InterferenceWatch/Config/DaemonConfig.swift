import Foundation
import Yams

/// The config file (`--config`, YAML). Every key is optional; an absent file means an empty config.
///
/// ```yaml
/// workloads:
///   - {name: lab-s1, cgroup: /lab/s1}
///   - {name: api, process: {command: node, cmdline: server.js}}
///   - {name: legacy, process: {pid: 4242}}
/// ```
struct DaemonConfig: Sendable, Equatable {
    var workloads: [WorkloadRule] = []
    var vms = VMSettings()
    var groups: [GroupSettings] = []
    var alerts = AlertSettings()
    /// The file this was read from, for errors found after parsing (unreadable token or secret files).
    var file = ""
    var push = PushSettings()
    var advice = AdviceSettings()

    /// The keys this version understands at the top level.
    static let topLevelKeys: Set<String> = ["workloads", "qmp", "libvirt", "groups", "push", "alerts", "advice"]

    static func load(path: String) throws -> DaemonConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: 0, message: "cannot read: \(error.localizedDescription)")
        }
        return try self.parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws -> DaemonConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.describe(error, file: file)
        }
        guard let root else { return DaemonConfig() }
        let top = try ConfigNode(node: root, file: file, keyPath: "").mapping(allowed: self.topLevelKeys)
        var config = DaemonConfig()
        config.file = file
        if let workloads = top["workloads"] {
            var seen: [String: Int] = [:]
            for entry in try workloads.sequence() {
                let rule = try self.parseWorkload(entry)
                if let previous = seen[rule.name] {
                    throw entry.error("workload name \"\(rule.name)\" already used on line \(previous)")
                }
                seen[rule.name] = entry.line
                config.workloads.append(rule)
            }
        }
        if let qmp = top["qmp"] { try config.vms.parseQMP(qmp) }
        if let libvirt = top["libvirt"] { try config.vms.parseLibvirt(libvirt) }
        if let push = top["push"] { config.push = try PushSettings.parse(push) }
        if let alerts = top["alerts"] { config.alerts = try AlertSettings.parse(alerts) }
        if let advice = top["advice"] { config.advice = try AdviceSettings.parse(advice) }
        if let groups = top["groups"] {
            var names: Set<String> = []
            for entry in try groups.sequence() {
                let group = try GroupSettings.parse(entry)
                guard names.insert(group.name).inserted else { throw entry.error("group name \"\(group.name)\" used twice") }
                config.groups.append(group)
            }
        }
        config.workloads += config.groupWorkloads(after: config.workloads)
        return config
    }

    /// Servers placed by cgroup or pid become workloads of their own, named `<group>/<server>`, unless the
    /// `workloads:` list already names that cgroup.
    private func groupWorkloads(after existing: [WorkloadRule]) -> [WorkloadRule] {
        var rules: [WorkloadRule] = []
        for group in self.groups {
            for server in group.servers {
                guard let name = group.workloadName(of: server) else { continue }
                switch server.placement {
                case .cgroup(let path) where !existing.contains(where: { $0.selector == .cgroup(path) }):
                    rules.append(WorkloadRule(name: name, selector: .cgroup(path)))
                case .pid(let pid):
                    rules.append(WorkloadRule(name: name, selector: .process(ProcessMatcher(pids: [pid]))))
                default:
                    break
                }
            }
        }
        return rules
    }

    /// The workload whose memory signals belong to a server: its `workload:`, the name of a `workloads:` entry for
    /// its cgroup, or `<group>/<server>` for servers placed by cgroup or pid.
    func workloadName(group: GroupSettings, server: GroupSettings.Server) -> String? {
        if case .cgroup(let path) = server.placement,
           let rule = self.workloads.first(where: { $0.selector == .cgroup(path) }) {
            return rule.name
        }
        return group.workloadName(of: server)
    }

    private static func parseWorkload(_ node: ConfigNode) throws -> WorkloadRule {
        let fields = try node.mapping(allowed: ["name", "cgroup", "process"])
        guard let nameNode = fields["name"] else { throw node.error("missing \"name\"") }
        let name = try nameNode.nonEmptyString()
        switch (fields["cgroup"], fields["process"]) {
        case (let cgroup?, nil):
            return WorkloadRule(name: name, selector: .cgroup(try cgroup.nonEmptyString()))
        case (nil, let process?):
            let p = try process.mapping(allowed: ["pid", "pids", "command", "cmdline"])
            var matcher = ProcessMatcher()
            if let pid = p["pid"] { matcher.pids.append(Int32(try pid.int(in: 1...Int(Int32.max)))) }
            if let pids = p["pids"] { matcher.pids += try pids.sequence().map { Int32(try $0.int(in: 1...Int(Int32.max))) } }
            matcher.command = try p["command"]?.nonEmptyString()
            matcher.commandLineContains = try p["cmdline"]?.nonEmptyString()
            guard !matcher.pids.isEmpty || matcher.command != nil || matcher.commandLineContains != nil else {
                throw process.error("give at least one of pid, pids, command, cmdline")
            }
            return WorkloadRule(name: name, selector: .process(matcher))
        case (nil, nil):
            throw node.error("give either \"cgroup\" or \"process\"")
        case (_?, _?):
            throw node.error("give either \"cgroup\" or \"process\", not both")
        }
    }

    static func describe(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) (\($0.text))" } ?? problem
            return ConfigError(file: file, line: mark.line, message: "invalid YAML: \(detail)")
        default:
            return ConfigError(file: file, line: 0, message: "invalid YAML: \(error)")
        }
    }
}
