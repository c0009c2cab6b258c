import Foundation

/// The `push:` section of the config file: how `POST /api/v1/samples` is protected.
///
/// ```yaml
/// push:
///   bearer_token_file: /etc/interference-watch/push-token
/// ```
/// Without `bearer_token_file` the endpoint takes pushes from anyone who can reach the listen address.
struct PushSettings: Sendable, Equatable {
    var bearerTokenFile: String?
    /// Where the setting was written, so a token file that can't be read is reported against the config line.
    var configFile = ""
    var configLine = 0

    static func parse(_ node: ConfigNode) throws -> PushSettings {
        let fields = try node.mapping(allowed: ["bearer_token_file"])
        var settings = PushSettings(configFile: node.file, configLine: node.line)
        if let file = fields["bearer_token_file"] {
            settings.bearerTokenFile = try file.nonEmptyString()
            settings.configLine = file.line
        }
        return settings
    }

    /// Reads the token once, at start; `nil` when no file is configured.
    ///
    /// - Throws: ``ConfigError`` when the file can't be read or holds no token (surrounding whitespace is trimmed).
    func loadToken() throws -> String? {
        guard let path = self.bearerTokenFile else { return nil }
        return try SecretFile.read(path, key: "push.bearer_token_file", file: self.configFile, line: self.configLine)
    }
}
