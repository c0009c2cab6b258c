import Foundation
import Glibc
import HummingbirdBcrypt
import Testing

@testable import InterferenceWatch

/// `--web.config.file` in exporter-toolkit's format: TLS (also with client certificates), bcrypt basic auth as
/// htpasswd writes it, extra headers, and SIGHUP re-reading it, against the real binary over real TLS (curl).
@Suite(.serialized)
struct WebConfigTests {
    /// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
    static func certificates(in tree: TemporaryTree) throws {
        let dir = tree.root
        let script = """
            set -e
            cd '\(dir)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=iw-test-ca 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=prometheus 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 2>/dev/null
            """
        let result = try Self.shell(script)
        try #require(result.status == 0, "openssl: \(result.output)")
    }

    static func shell(_ script: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// curl's status code (`000` when no HTTP answer came) and the response headers.
    static func curl(_ arguments: [String]) throws -> (code: String, headers: String) {
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        let result = try Self.shell("curl -s -m 10 -o /dev/null -D - -w '%{http_code}' \(quoted)")
        return (String(result.output.suffix(3)), result.output)
    }

    /// A bcrypt hash the way `htpasswd -nB` writes it (`$2y$`).
    static func htpasswd(_ password: String) -> String {
        "$2y$" + Bcrypt.hash(password, cost: 4).dropFirst(4)
    }

    @Test func badFilesNameFileAndLine() throws {
        let cases: [(String, Int, String)] = [
            ("tls_server_config:\n  cert_file: /nope.crt\n  key_file: /nope.key\n", 2, "cert_file /nope.crt: not a readable PEM certificate"),
            ("basic_auth_users:\n  alice: plaintext\n", 2, "basic_auth_users.alice: expected a bcrypt hash"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n", 4, "expected one of"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", 4, "not supported"),
            ("http_server_config:\n  headers: {X-Powered-By: me}\n", 2, "header not allowed"),
            ("basic_auth_user: {}\n", 1, "unknown key \"basic_auth_user\""),
        ]
        for (text, line, fragment) in cases {
            do {
                _ = try WebConfig.parse(text, file: "/etc/iw/web.yml")
                Issue.record("expected an error for \(text)")
            } catch let error as ConfigError {
                #expect(error.description.hasPrefix("/etc/iw/web.yml:\(line): ") && error.description.contains(fragment), "\(error)")
            }
        }
        let hash = Self.htpasswd("s3cret")
        let config = try WebConfig.parse("basic_auth_users:\n  alice: '\(hash)'\n", file: "w.yml")
        #expect(config.basicAuthUsers["alice"]?.hasPrefix("$2b$") == true)
        let live = try LiveWebConfig(config)
        #expect(live.verify(user: "alice", password: "s3cret") && live.verify(user: "alice", password: "s3cret"))
        #expect(!live.verify(user: "alice", password: "wrong") && !live.verify(user: "bob", password: "s3cret"))
    }

    @Test func tlsBasicAuthHeadersAndReload() async throws {
        let tree = try TemporaryTree()
        try Self.certificates(in: tree)
        let web = tree.root + "/web.yml"
        // Relative paths are relative to the web config file.
        try tree.write("web.yml", """
            tls_server_config: {cert_file: server.crt, key_file: server.key, min_version: TLS12}
            http_server_config:
              headers: {Strict-Transport-Security: max-age=31536000}
            basic_auth_users:
              prometheus: '\(Self.htpasswd("scrape-me"))'

            """)
        let root = TestPaths.fixture("v2-psi")
        let daemon = try await DaemonProcess(arguments: ["--path.procfs", root + "/proc", "--path.sysfs", root + "/sys",
                                                   "--collection.interval", "1h", "--web.config.file", web])
        defer { daemon.stop() }
        let url = "https://\(daemon.address)"
        let ca = tree.root + "/ca.crt"
        let ok = try Self.curl(["--cacert", ca, "-u", "prometheus:scrape-me", url + "/metrics"])
        #expect(ok.code == "200", "\(ok.headers)")
        #expect(ok.headers.lowercased().contains("strict-transport-security: max-age=31536000"))
        #expect(try Self.curl(["--cacert", ca, url + "/metrics"]).code == "401")
        #expect(try Self.curl(["--cacert", ca, "-u", "prometheus:wrong", url + "/metrics"]).code == "401")
        // Plain HTTP to a TLS port gets no HTTP answer.
        #expect(try Self.curl(["http://\(daemon.address)/metrics"]).code != "200")
        // Changing state needs a user too.
        #expect(try Self.curl(["--cacert", ca, "-X", "POST", "-d", "[]", url + "/api/v1/samples"]).code == "401")
        #expect(try Self.curl(["--cacert", ca, "-u", "prometheus:scrape-me", "-X", "POST", "-d", "[]", url + "/api/v1/samples"]).code != "401")

        // SIGHUP with another user: at once, on the next request.
        try tree.write("web.yml", """
            tls_server_config: {cert_file: server.crt, key_file: server.key}
            basic_auth_users:
              grafana: '\(Self.htpasswd("look"))'

            """)
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(await eventually(within: 10) { (try? Self.curl(["--cacert", ca, "-u", "grafana:look", url + "/metrics"]).code) == "200" })
        #expect(try Self.curl(["--cacert", ca, "-u", "prometheus:scrape-me", url + "/metrics"]).code == "401")
        // A broken file keeps the running one, and says where it is broken.
        try tree.write("web.yml", "basic_auth_users:\n  grafana: not-a-hash\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(await eventually(within: 10) { daemon.log.contains("web config reload failed") })
        #expect(daemon.log.contains("\(web):2:"), "\(daemon.log.suffix(1500))")
        #expect(try Self.curl(["--cacert", ca, "-u", "grafana:look", url + "/metrics"]).code == "200")
        // check-config says the same of the broken file, and passes a good one.
        let broken = try await BinaryRun.run(["check-config", "--web.config.file", web])
        #expect(broken.status != 0 && broken.stderr.contains("\(web):2:"), "\(broken)")
        try tree.write("web.yml", "tls_server_config: {cert_file: server.crt, key_file: server.key}\n")
        let good = try await BinaryRun.run(["check-config", "--web.config.file", web])
        #expect(good.status == 0 && good.stdout.contains("TLS on (NoClientCert)"), "\(good)")
    }

    @Test func verifiedClientCertificatesAuthenticate() async throws {
        let tree = try TemporaryTree()
        try Self.certificates(in: tree)
        try tree.write("web.yml", """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_ca_file: ca.crt
              client_auth_type: RequireAndVerifyClientCert

            """)
        let root = TestPaths.fixture("v2-psi")
        let daemon = try await DaemonProcess(arguments: ["--path.procfs", root + "/proc", "--path.sysfs", root + "/sys",
                                                   "--collection.interval", "1h", "--web.config.file", tree.root + "/web.yml"])
        defer { daemon.stop() }
        let url = "https://\(daemon.address)"
        let ca = tree.root + "/ca.crt"
        #expect(try Self.curl(["--cacert", ca, url + "/metrics"]).code == "000", "no client certificate: no handshake")
        let client = ["--cacert", ca, "--cert", tree.root + "/client.crt", "--key", tree.root + "/client.key"]
        #expect(try Self.curl(client + [url + "/metrics"]).code == "200")
        // The verified certificate authenticates changes too.
        #expect(try Self.curl(client + ["-X", "POST", "-d", "[]", url + "/api/v1/samples"]).code != "401")
    }
}
