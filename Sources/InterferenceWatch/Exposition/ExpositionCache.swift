import NIOCore
import Synchronization

/// The `/metrics` body of the latest sweep: rendered by the first scrape after a sweep, then reused by every scrape
/// until the next one, and gzipped once for the scrapers that ask for it.
///
/// Families from the rest of the daemon (latency, detection, advice, history, alerts) are read at that render, so
/// they are as of the first scrape after the sweep: at most one interval old, as everything else in the exposition.
/// Concurrent scrapes of a new sweep wait for the one render instead of each making their own.
///
/// The bodies are kept as `ByteBuffer`s, which every response shares: a scrape writes the cached storage to its
/// socket without a copy of its own (200 concurrent gzip scrapers held 200 copies of the 45 KiB body, and a plain
/// scrape copied 2.5 MB into 64 KiB pieces). Only the encodings asked for are kept: Prometheus always asks for gzip,
/// so the 2.5 MB plain text of a 1000-cgroup host is dropped once compressed, and a later plain scrape of the same
/// sweep inflates the compressed body (the same bytes, no second render) and keeps the result.
final class ExpositionCache: Sendable {
    private struct Body {
        var atSeconds: Double
        var plain: ByteBuffer?
        var plainBytes: Int
        var gzip: ByteBuffer?
    }

    /// `false` renders on every scrape (`--no-web.reuse-exposition`, for comparing the costs).
    let reuse: Bool
    private let body = Mutex<Body?>(nil)
    private let counts = Mutex<(renders: UInt64, identity: UInt64, gzip: UInt64)>((0, 0, 0))

    init(reuse: Bool = true) {
        self.reuse = reuse
    }

    /// The body for the sweep taken at `atSeconds`, gzipped when `gzip`; `render` makes it when there is none yet.
    func bytes(atSeconds: Double, gzip: Bool, render: () -> [UInt8]) -> (bytes: ByteBuffer, gzipped: Bool) {
        let result: (ByteBuffer, Bool) = self.body.withLock { cached in
            var rendered: [UInt8]?
            if !self.reuse || cached?.atSeconds != atSeconds {
                self.counts.withLock { $0.renders += 1 }
                let bytes = render()
                rendered = bytes
                cached = Body(atSeconds: atSeconds, plain: nil, plainBytes: bytes.count, gzip: nil)
            }
            if gzip && cached!.gzip == nil {
                let plain = rendered ?? cached!.plain.map { Array($0.readableBytesView) } ?? []
                cached!.gzip = (try? Gzip.compress(plain)).map { ByteBuffer(bytes: $0) }
            }
            if let compressed = cached!.gzip, gzip { return (compressed, true) }
            // Plain asked for (or a compression that failed, which it never does on a valid buffer).
            if cached!.plain == nil {
                if let rendered {
                    cached!.plain = ByteBuffer(bytes: rendered)
                } else if let compressed = cached!.gzip, let inflated = try? Gzip.decompress(compressed, sizeHint: cached!.plainBytes) {
                    cached!.plain = ByteBuffer(bytes: inflated)
                } else {
                    self.counts.withLock { $0.renders += 1 }
                    cached!.plain = ByteBuffer(bytes: render())
                }
            }
            return (cached!.plain!, false)
        }
        self.counts.withLock { if result.1 { $0.gzip += 1 } else { $0.identity += 1 } }
        return result
    }

    /// `exposition_renders_total` and `exposition_scrapes_total{encoding}`.
    func families() -> [MetricFamily] {
        let counts = self.counts.withLock { $0 }
        var set = FamilySet()
        set.add("exposition_renders_total", .counter, "Renders of /metrics: one per sweep that was scraped (every scrape with --no-web.reuse-exposition).",
                [], counts.renders)
        let scrapes = "Scrapes of /metrics by response encoding, counted when answered (the current scrape is not in its own body)."
        set.add("exposition_scrapes_total", .counter, scrapes, [("encoding", "gzip")], counts.gzip)
        set.add("exposition_scrapes_total", .counter, scrapes, [("encoding", "identity")], counts.identity)
        return set.all
    }
}
