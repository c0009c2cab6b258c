import Foundation
import HummingbirdBcrypt
import NIOSSL
import Synchronization

/// The web config in effect, swapped whole on SIGHUP: every new connection takes the TLS context of the moment (as
/// exporter-toolkit re-reads its file per connection), every request the users and headers of the moment.
///
/// Verified credentials are remembered (by a digest of user and password) until the next reload: bcrypt costs tens
/// of milliseconds by design, and a scraper sends the same credentials every scrape.
final class LiveWebConfig: Sendable {
    private struct Current {
        var config: WebConfig?
        var context: NIOSSLContext?
        var verified: Set<[UInt8]> = []
        /// Counts reloads, so a check that began before one does not remember its answer after it.
        var generation = 0
    }

    private let current: Mutex<Current>
    /// Credentials remembered at most (a bound on what a flood of wrong passwords could not grow anyway: only
    /// successes are kept).
    static let verifiedLimit = 64

    /// - Throws: when the config's TLS files do not make a context.
    init(_ config: WebConfig?) throws {
        self.current = Mutex(Current(config: config, context: try config.map(Self.context) ?? nil))
    }

    static func context(_ config: WebConfig) throws -> NIOSSLContext? {
        guard let tls = config.tls else { return nil }
        return try NIOSSLContext(configuration: WebConfig.serverConfiguration(tls))
    }

    var config: WebConfig? { self.current.withLock { $0.config } }

    /// The TLS context for a new connection; `nil` serves plain HTTP.
    var context: NIOSSLContext? { self.current.withLock { $0.context } }

    /// Re-reads `path`; a file that does not load (or whose TLS files do not) keeps the running config.
    func reload(path: String) throws {
        let config = try WebConfig.load(path: path)
        let context = try Self.context(config)
        self.current.withLock { $0 = Current(config: config, context: context, generation: $0.generation + 1) }
    }

    /// Whether `user` and `password` match the config's `basic_auth_users`.
    func verify(user: String, password: String) -> Bool {
        let key = SHA256Digest.hash(Array("\(user)\u{0}\(password)".utf8))
        let (hash, known, generation) = self.current.withLock { ($0.config?.basicAuthUsers[user], $0.verified.contains(key), $0.generation) }
        guard let hash else { return false }
        if known { return true }
        guard Bcrypt.verify(password, hash: hash) else { return false }
        self.current.withLock { current in
            guard current.generation == generation else { return }
            if current.verified.count >= Self.verifiedLimit { current.verified.removeAll() }
            current.verified.insert(key)
        }
        return true
    }
}
