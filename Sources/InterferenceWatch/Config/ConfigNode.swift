import Yams

/// A YAML node with its file name and key path, so every error says where it is.
///
/// The config is decoded by hand rather than with `Codable` because `Codable` errors lose the line number, and an
/// operator fixing a config at 3 a.m. wants `config.yaml:12: groups[0].servers[1]: unknown key "urll"`.
struct ConfigNode {
    let node: Node
    let file: String
    /// Dotted path for messages: `groups[0].probe.interval`.
    let keyPath: String

    var line: Int { self.node.mark?.line ?? 0 }

    func error(_ message: String) -> ConfigError {
        ConfigError(file: self.file, line: self.line, message: self.keyPath.isEmpty ? message : "\(self.keyPath): \(message)")
    }

    /// The mapping's entries; throws if the node is not a mapping or has keys outside `allowed`.
    func mapping(allowed: Set<String>) throws -> [String: ConfigNode] {
        guard let mapping = self.node.mapping else { throw self.error("expected a mapping") }
        var result: [String: ConfigNode] = [:]
        for (key, value) in mapping {
            guard let name = key.string else {
                throw ConfigError(file: self.file, line: key.mark?.line ?? self.line, message: "\(self.keyPath): keys must be strings")
            }
            let child = ConfigNode(node: value, file: self.file, keyPath: self.keyPath.isEmpty ? name : "\(self.keyPath).\(name)")
            guard allowed.contains(name) else {
                let line = key.mark?.line ?? self.line
                let known = allowed.sorted().joined(separator: ", ")
                throw ConfigError(file: self.file, line: line,
                                  message: "\(child.keyPath): unknown key \"\(name)\" (known: \(known))")
            }
            result[name] = child
        }
        return result
    }

    /// A mapping whose keys are names the user chose (VM names, ...), in file order.
    func entries() throws -> [(key: String, value: ConfigNode)] {
        guard let mapping = self.node.mapping else { throw self.error("expected a mapping") }
        return try mapping.map { key, value in
            guard let name = key.string else {
                throw ConfigError(file: self.file, line: key.mark?.line ?? self.line, message: "\(self.keyPath): keys must be strings")
            }
            return (name, ConfigNode(node: value, file: self.file, keyPath: self.keyPath.isEmpty ? name : "\(self.keyPath).\(name)"))
        }
    }

    func sequence() throws -> [ConfigNode] {
        guard let sequence = self.node.sequence else { throw self.error("expected a list") }
        return sequence.enumerated().map { index, node in
            ConfigNode(node: node, file: self.file, keyPath: "\(self.keyPath)[\(index)]")
        }
    }

    func string() throws -> String {
        guard let scalar = self.node.scalar else { throw self.error("expected a string") }
        return scalar.string
    }

    func nonEmptyString() throws -> String {
        let value = try self.string()
        guard !value.isEmpty else { throw self.error("must not be empty") }
        return value
    }

    func int(in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        guard let scalar = self.node.scalar, let value = Int(scalar.string) else { throw self.error("expected an integer") }
        guard range.contains(value) else { throw self.error("\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
        return value
    }

    func double() throws -> Double {
        guard let scalar = self.node.scalar, let value = Double(scalar.string), value.isFinite else {
            throw self.error("expected a number")
        }
        return value
    }

    func bool() throws -> Bool {
        guard let scalar = self.node.scalar else { throw self.error("expected true or false") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw self.error("expected true or false, got \"\(scalar.string)\"")
        }
    }

    /// A duration such as `500ms`, `2s`, `1m`, `1h30m` (Prometheus style) or a plain number of seconds.
    func duration() throws -> Duration {
        let text = try self.string()
        guard let seconds = DurationParser.seconds(text), seconds >= 0 else {
            throw self.error("expected a duration like 500ms, 2s, 1m or 1h30m, got \"\(text)\"")
        }
        // Milliseconds must fit Int64 (`1e300`, or `1e18` seconds, trapped in the conversion): refuse, don't crash.
        let milliseconds = (seconds * 1000).rounded()
        guard milliseconds < 0x1p63 else { throw self.error("duration \"\(text)\" is too long") }
        return .milliseconds(Int64(milliseconds))
    }
}
