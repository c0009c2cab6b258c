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

    /// `GET /api/v1/advice`: the minimum host RAM recommendation with its evidence (peak demand and its parts).
    static func addAdviceRoute(to router: Router<BasicRequestContext>, advice: HostMemoryAdvice) {
        router.get("/api/v1/advice") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: try advice.json())))
        }
    }
}
