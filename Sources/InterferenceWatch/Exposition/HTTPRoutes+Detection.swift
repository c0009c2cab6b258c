import Hummingbird
import NIOCore

extension HTTPRoutes {
    /// `GET /api/v1/findings`: open findings with their causes and evidence, and each group's latest verdict.
    static func addDetectionRoutes(to router: Router<BasicRequestContext>, engine: DetectionEngine) {
        router.get("/api/v1/findings") { _, _ -> Response in
            let data = try engine.findingsJSON()
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
