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
/// scrape copied 2.5 MB into 64 KiB pieces).
final class ExpositionCache: Sendable {
    private struct Body {
        var atSeconds: Double
        var plain: ByteBuffer
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
            if !self.reuse || cached?.atSeconds != atSeconds {
                self.counts.withLock { $0.renders += 1 }
                let rendered = render()
                // The compressed body is made from the rendered array before it is dropped, so the sweep's one
                // plain copy is the buffer.
                cached = Body(atSeconds: atSeconds, plain: ByteBuffer(bytes: rendered),
                              gzip: gzip ? (try? Gzip.compress(rendered)).map { ByteBuffer(bytes: $0) } : nil)
            }
            guard gzip else { return (cached!.plain, false) }
            if cached!.gzip == nil {
                cached!.gzip = (try? Gzip.compress(Array(cached!.plain.readableBytesView))).map { ByteBuffer(bytes: $0) }
            }
            // A failed compression (it never fails on a valid buffer) falls back to the plain body.
            return cached!.gzip.map { ($0, true) } ?? (cached!.plain, false)
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
