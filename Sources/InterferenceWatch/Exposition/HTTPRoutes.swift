import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// The HTTP surface, every route in one place: the landing page, `/metrics`, the JSON API and the push intake.
enum HTTPRoutes {
    /// What the routes serve from.
    struct Sources: Sendable {
        var latest: LatestSweep
        var renderer: SweepRenderer
        var telemetryPath: String
        /// Families from the rest of the daemon (latency, detection, advice, the daemon itself), read at scrape time.
        var extraFamilies: @Sendable () -> [MetricFamily] = { [] }
        var engine: DetectionEngine?
        var advice: HostMemoryAdvice?
        var push: PushIntake?
    }

    static func makeRouter(_ sources: Sources) -> Router<BasicRequestContext> {
        let router = Router()
        let renderer = sources.renderer, latest = sources.latest, extraFamilies = sources.extraFamilies
        // The last exposition's size: the next render reserves a little more, so its buffer is allocated once
        // instead of doubling past it (each doubling copies, and both copies are resident for a moment).
        let lastSizeBytes = NIOLockedValueBox(0)
        router.get(RouterPath(sources.telemetryPath)) { _, _ -> Response in
            // Render from the published sweep: a scrape never waits for a sweep or a slow source.
            let previous = lastSizeBytes.withLockedValue { $0 }
            let bytes = ExpositionWriter.render(renderer.families(for: latest.current) + extraFamilies(),
                                                reservingCapacity: previous + previous / 16)
            lastSizeBytes.withLockedValue { $0 = bytes.count }
            return Response(status: .ok, headers: [.contentType: ExpositionWriter.contentType],
                            body: self.chunkedBody(bytes))
        }
        let page = LandingPage(version: renderer.version, telemetryPath: sources.telemetryPath).html
        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        if let engine = sources.engine {
            router.get("/api/v1/findings") { _, _ -> Response in APIJSON.response(engine.findingsDocument()) }
        }
        if let advice = sources.advice {
            router.get("/api/v1/advice") { _, _ -> Response in APIJSON.response(advice.adviceDocument()) }
        }
        if let push = sources.push { self.addPush(push, to: router) }
        return router
    }

    /// `POST /api/v1/samples` behind the bearer-token check.
    static func addPush<Context: RequestContext>(_ intake: PushIntake, to router: Router<Context>) {
        router.group(RouterPath(PushIntake.path))
            .add(middleware: BearerTokenMiddleware(token: intake.token))
            .post { request, _ -> Response in try await intake.handle(request) }
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
