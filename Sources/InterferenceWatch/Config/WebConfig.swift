import Foundation
import NIOSSL
import Yams

/// `--web.config.file`: the exporter-toolkit web configuration Prometheus users already have.
///
/// ```yaml
/// tls_server_config:
///   cert_file: server.crt            # relative paths are relative to this file, as in exporter-toolkit
///   key_file: server.key
///   client_auth_type: RequireAndVerifyClientCert   # NoClientCert (default), VerifyClientCertIfGiven
///   client_ca_file: ca.crt
///   min_version: TLS12               # TLS10 ... TLS13; max_version likewise
/// http_server_config:
///   headers: {Strict-Transport-Security: max-age=31536000}
/// basic_auth_users:
///   prometheus: $2y$10$...           # bcrypt, as `htpasswd -nB` writes it
/// ```
///
/// Re-read on SIGHUP; a file that does not load keeps the running one. Cipher suites, curve preferences and the
/// client certificate modes that Go has and OpenSSL's server API does not (`RequestClientCert`,
/// `RequireAnyClientCert`) are refused by name rather than silently ignored.
struct WebConfig: Sendable, Equatable {
    struct TLS: Sendable, Equatable {
        var certFile: String
        var keyFile: String
        var clientCAFile: String?
        var clientAuthType: String
        var minVersion: TLSVersion
        var maxVersion: TLSVersion?

        /// Client certificates verify every connection: each request is then authenticated by its connection.
        var verifiesClients: Bool { self.clientAuthType == "RequireAndVerifyClientCert" }
    }

    var file: String
    var tls: TLS?
    /// User name to bcrypt hash (`$2y$` stored as the equivalent `$2b$`).
    var basicAuthUsers: [String: String] = [:]
    /// Extra response headers, from the names exporter-toolkit allows.
    var headers: [(name: String, value: String)] = []

    static func == (a: WebConfig, b: WebConfig) -> Bool {
        a.file == b.file && a.tls == b.tls && a.basicAuthUsers == b.basicAuthUsers
            && a.headers.map { "\($0.name): \($0.value)" } == b.headers.map { "\($0.name): \($0.value)" }
    }

    static let allowedHeaders: Set<String> = [
        "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "X-XSS-Protection", "Content-Security-Policy",
    ]
    static let clientAuthTypes: Set<String> = ["NoClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"]
    static let versions: [String: TLSVersion] = ["TLS10": .tlsv1, "TLS11": .tlsv11, "TLS12": .tlsv12, "TLS13": .tlsv13]

    static func load(path: String) throws -> WebConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, line: 0, message: "cannot read: \(error.localizedDescription)")
        }
        return try self.parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws -> WebConfig {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError { throw DaemonConfig.describe(error, file: file) }
        var config = WebConfig(file: file)
        guard let root else { return config }
        let top = try ConfigNode(node: root, file: file, keyPath: "")
            .mapping(allowed: ["tls_server_config", "http_server_config", "basic_auth_users"])
        let directory = (file as NSString).deletingLastPathComponent
        func path(_ node: ConfigNode) throws -> String {
            let value = try node.nonEmptyString()
            return value.hasPrefix("/") || directory.isEmpty ? value : directory + "/" + value
        }
        if let tlsNode = top["tls_server_config"] {
            let fields = try tlsNode.mapping(allowed: ["cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
                                                       "max_version", "cipher_suites", "curve_preferences",
                                                       "prefer_server_cipher_suites", "client_allowed_sans"])
            for unsupported in ["cipher_suites", "curve_preferences", "prefer_server_cipher_suites", "client_allowed_sans"] {
                if let node = fields[unsupported] { throw node.error("not supported by this daemon (its TLS is OpenSSL's defaults for the version range)") }
            }
            guard let cert = fields["cert_file"] else { throw tlsNode.error("missing \"cert_file\"") }
            guard let key = fields["key_file"] else { throw tlsNode.error("missing \"key_file\"") }
            var tls = TLS(certFile: try path(cert), keyFile: try path(key), clientCAFile: try fields["client_ca_file"].map(path),
                          clientAuthType: "NoClientCert", minVersion: .tlsv12)
            if let node = fields["client_auth_type"] {
                let value = try node.nonEmptyString()
                guard Self.clientAuthTypes.contains(value) else {
                    throw node.error("\"\(value)\": expected one of \(Self.clientAuthTypes.sorted().joined(separator: ", "))")
                }
                tls.clientAuthType = value
            }
            if tls.clientAuthType != "NoClientCert" && tls.clientCAFile == nil {
                throw tlsNode.error("client_auth_type \(tls.clientAuthType) needs \"client_ca_file\"")
            }
            if let node = fields["min_version"] { tls.minVersion = try Self.version(node) }
            if let node = fields["max_version"] { tls.maxVersion = try Self.version(node) }
            // Read the files now: a missing or broken certificate names its file at start or reload, not at the first
            // handshake.
            _ = try Self.serverConfiguration(tls, node: tlsNode)
            config.tls = tls
        }
        if let httpNode = top["http_server_config"] {
            let fields = try httpNode.mapping(allowed: ["headers", "http2"])
            if let headers = fields["headers"] {
                for (name, value) in try headers.entries() {
                    guard let canonical = Self.allowedHeaders.first(where: { $0.lowercased() == name.lowercased() }) else {
                        throw value.error("header not allowed (allowed: \(Self.allowedHeaders.sorted().joined(separator: ", ")))")
                    }
                    config.headers.append((canonical, try value.string()))
                }
            }
            // http2 is accepted and has no effect: the daemon serves HTTP/1.1, which Prometheus scrapes with.
            if let http2 = fields["http2"] { _ = try http2.bool() }
        }
        if let users = top["basic_auth_users"] {
            for (user, hashNode) in try users.entries() {
                var hash = try hashNode.nonEmptyString()
                guard hash.count == 60, ["$2a$", "$2b$", "$2y$"].contains(String(hash.prefix(4))) else {
                    throw hashNode.error("expected a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters), as htpasswd -nB writes it")
                }
                // $2y$ (crypt_blowfish's name for the fixed algorithm, htpasswd's output) is $2b$ elsewhere.
                if hash.hasPrefix("$2y$") { hash = "$2b$" + hash.dropFirst(4) }
                config.basicAuthUsers[user] = hash
            }
        }
        return config
    }

    static func version(_ node: ConfigNode) throws -> TLSVersion {
        let value = try node.nonEmptyString()
        guard let version = Self.versions[value] else { throw node.error("\"\(value)\": expected TLS10, TLS11, TLS12 or TLS13") }
        return version
    }

    /// The TLS server configuration, with the certificate, key and CA read from their files.
    static func serverConfiguration(_ tls: TLS, node: ConfigNode? = nil) throws -> TLSConfiguration {
        func fail(_ message: String) -> ConfigError {
            node?.error(message) ?? ConfigError(file: tls.certFile, line: 0, message: message)
        }
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(tls.certFile) } catch {
            throw fail("cert_file \(tls.certFile): not a readable PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw fail("cert_file \(tls.certFile): no certificate in it") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem) } catch {
            throw fail("key_file \(tls.keyFile): not a readable PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = tls.minVersion
        if let max = tls.maxVersion { configuration.maximumTLSVersion = max }
        if let ca = tls.clientCAFile {
            do { _ = try NIOSSLCertificate.fromPEMFile(ca) } catch {
                throw fail("client_ca_file \(ca): not a readable PEM certificate (\(error))")
            }
            configuration.trustRoots = .file(ca)
        }
        switch tls.clientAuthType {
        case "RequireAndVerifyClientCert": configuration.certificateVerification = .noHostnameVerification
        case "VerifyClientCertIfGiven": configuration.certificateVerification = .optionalVerification
        default: configuration.certificateVerification = .none
        }
        return configuration
    }
}
