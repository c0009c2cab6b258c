import Hummingbird
import NIOCore

/// The HTTP surface: the landing page and the metrics endpoint (later features add their routes here).
enum HTTPRoutes {
    /// - Parameter extraFamilies: families from other parts of the daemon (latency, detection), read at scrape time.
    static func makeRouter(store: SnapshotStore, renderer: SnapshotRenderer, telemetryPath: String,
                           extraFamilies: @escaping @Sendable () -> [MetricFamily] = { [] }) -> Router<BasicRequestContext> {
        let router = Router()
        router.get(RouterPath(telemetryPath)) { _, _ -> Response in
            // Render from the published snapshot: a scrape never waits for a sweep or a slow source.
            let bytes = ExpositionWriter.render(renderer.families(for: store.current) + extraFamilies())
            return Response(status: .ok, headers: [.contentType: ExpositionWriter.contentType],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
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
}
