import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// The HTTP surface: the landing page and the metrics endpoint (later features add their routes here).
enum HTTPRoutes {
    /// - Parameter extraFamilies: families from other parts of the daemon (latency, detection), read at scrape time.
    static func makeRouter(store: SnapshotStore, renderer: SnapshotRenderer, telemetryPath: String,
                           extraFamilies: @escaping @Sendable () -> [MetricFamily] = { [] }) -> Router<BasicRequestContext> {
        let router = Router()
        // The last exposition's size: the next render reserves a little more, so its buffer is allocated once
        // instead of doubling past it (each doubling copies, and both copies are resident for a moment).
        let lastSizeBytes = NIOLockedValueBox(0)
        router.get(RouterPath(telemetryPath)) { _, _ -> Response in
            // Render from the published snapshot: a scrape never waits for a sweep or a slow source.
            let previous = lastSizeBytes.withLockedValue { $0 }
            let bytes = ExpositionWriter.render(renderer.families(for: store.current) + extraFamilies(),
                                                reservingCapacity: previous + previous / 16)
            lastSizeBytes.withLockedValue { $0 = bytes.count }
            return Response(status: .ok, headers: [.contentType: ExpositionWriter.contentType],
                            body: self.chunkedBody(bytes))
        }
        router.get("/") { _, _ -> Response in
            let page = """
                <!DOCTYPE html>
                <html><head><meta charset="utf-8"><title>InterferenceWatch</title></head>
                <body><h1>InterferenceWatch</h1>
                <p>Memory interference watcher for shared hosts, version \(renderer.version).</p>
                <ul><li><a href="\(telemetryPath)">Metrics</a></li></ul>
                </body></html>

                """
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        return router
    }

    /// Bytes per write of a response body.
    static let chunkSizeBytes = 64 * 1024

    /// A body that sends `bytes` in ``chunkSizeBytes`` pieces with a `Content-Length`.
    ///
    /// A multi-megabyte exposition copied whole into one `ByteBuffer` would double the scrape's peak memory; each
    /// write waits for the connection to take the previous piece, so at most a few pieces exist beside the render.
    static func chunkedBody(_ bytes: [UInt8]) -> ResponseBody {
        ResponseBody(contentLength: bytes.count) { writer in
            var start = 0
            while start < bytes.count {
                let end = min(start + self.chunkSizeBytes, bytes.count)
                try await writer.write(ByteBuffer(bytes: bytes[start..<end]))
                start = end
            }
            try await writer.finish(nil)
        }
    }
}
