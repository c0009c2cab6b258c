import Detectors
import Foundation
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
        var history: HistoryReader?
        var alerts: AlertEngine?
        var calibration: CalibrationIntake?
        /// Where the rendered `/metrics` body of the latest sweep is kept for the scrapes after the first.
        var exposition = ExpositionCache()
        /// The web config in effect (`--web.config.file`): basic-auth users and headers; `nil` without one.
        var web: LiveWebConfig?
        /// The bearer token that state-changing requests need, read per request (else the push intake's).
        var token: @Sendable () -> String? = { nil }
        var now: @Sendable () -> Double = { Date().timeIntervalSince1970 }
    }

    static func makeRouter(_ sources: Sources) -> Router<BasicRequestContext> {
        let router = Router()
        let explicitToken = sources.token, pushToken = sources.push?.token
        router.add(middleware: WebAccessMiddleware(token: { explicitToken() ?? pushToken?() }, web: sources.web))
        let renderer = sources.renderer, latest = sources.latest, extraFamilies = sources.extraFamilies
        // The last exposition's size: the next render reserves a little more, so its buffer is allocated once
        // instead of doubling past it (each doubling copies, and both copies are resident for a moment).
        let lastSizeBytes = NIOLockedValueBox(0)
        let cache = sources.exposition
        router.get(RouterPath(sources.telemetryPath)) { request, _ -> Response in
            // Render from the published sweep, once per sweep: a scrape never waits for a sweep or a slow source.
            let sweep = latest.current
            let (bytes, gzipped) = cache.bytes(atSeconds: sweep.atSeconds, gzip: Gzip.accepted(by: request.headers[.acceptEncoding])) {
                let previous = lastSizeBytes.withLockedValue { $0 }
                let bytes = ExpositionWriter.render(renderer.families(for: sweep) + extraFamilies() + cache.families(),
                                                    reservingCapacity: previous + previous / 16)
                lastSizeBytes.withLockedValue { $0 = bytes.count }
                return bytes
            }
            var headers: HTTPFields = [.contentType: ExpositionWriter.contentType, .vary: "Accept-Encoding"]
            if gzipped { headers[.contentEncoding] = "gzip" }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: bytes))
        }
        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: self.statusPage(sources).html)))
        }
        if let history = sources.history {
            router.get("/api/v1/episodes") { request, _ -> Response in
                let group = request.uri.queryParameters.get("group")
                do {
                    return APIJSON.response(EpisodesDocument(generatedAt: sources.now(), episodes: try history.episodes(group: group)))
                } catch {
                    return APIJSON.response(status: .internalServerError, APIError(error: "history unreadable: \(error)"))
                }
            }
            router.get("/api/v1/report") { request, _ -> Response in
                self.report(request, history: history, now: sources.now())
            }
        }
        if let engine = sources.engine {
            router.get("/api/v1/findings") { _, _ -> Response in APIJSON.response(engine.findingsDocument()) }
        }
        if let alerts = sources.alerts {
            let engine = sources.engine
            router.get("/api/v1/alerts") { _, _ -> Response in
                APIJSON.response(alerts.alertsDocument(findings: engine?.findings ?? [], generatedAt: sources.now()))
            }
        }
        if let advice = sources.advice {
            router.get("/api/v1/advice") { _, _ -> Response in APIJSON.response(advice.adviceDocument()) }
        }
        if let push = sources.push { self.addPush(push, to: router) }
        if let calibration = sources.calibration {
            router.get(RouterPath(CalibrationIntake.path)) { _, _ -> Response in calibration.latest() }
            let group = router.group(RouterPath(CalibrationIntake.path))
            group.post("start") { request, _ -> Response in await calibration.start(request) }
            group.post("result") { request, _ -> Response in await calibration.result(request) }
        }
        return router
    }

    /// `POST /api/v1/samples` (behind ``WebAccessMiddleware``, as every state-changing route).
    static func addPush<Context: RequestContext>(_ intake: PushIntake, to router: Router<Context>) {
        router.post(RouterPath(PushIntake.path)) { request, _ -> Response in try await intake.handle(request) }
    }

    /// The status page from the live state and the last hour of history.
    static func statusPage(_ sources: Sources) -> StatusPage {
        let now = sources.now()
        var servers: [String: [String: [[Double]]]] = [:]
        var imbalance: [String: [[Double]]] = [:]
        var episodes: [Episode] = []
        if let history = sources.history {
            let samples = (try? history.samples(from: now - 3600, to: now)) ?? []
            for (group, mine) in Dictionary(grouping: samples, by: \.group) {
                servers[group] = TaskTimeSeries.medians(mine, from: now - 3600, bucketSeconds: 60)
            }
            for verdict in (try? history.verdicts(group: nil, from: now - 3600, to: now)) ?? [] {
                if let ratio = verdict.imbalanceRatio, ratio.isFinite { imbalance[verdict.group, default: []].append([verdict.endSeconds, ratio]) }
            }
            episodes = Array(((try? history.episodes()) ?? []).prefix(10))
        }
        return StatusPage(version: sources.renderer.version, telemetryPath: sources.telemetryPath, generatedAtSeconds: now,
                          latest: sources.latest.current.sweep, verdicts: sources.engine?.verdicts ?? [],
                          advice: sources.advice?.recommendation(), episodes: episodes, alerts: sources.alerts?.alerts ?? [],
                          serverSeries: servers, imbalanceSeries: imbalance)
    }

    /// `GET /api/v1/report?episode=ID | from=T&to=T [&group=G] [&format=html|md|json]`, as `interference-watch report`.
    static func report(_ request: Request, history: HistoryReader, now: Double) -> Response {
        let query = request.uri.queryParameters
        let format = query.get("format").map { ReportFormat(rawValue: $0) } ?? .html
        guard let format else {
            return APIJSON.response(status: .badRequest, APIError(error: "format: expected html, md or json", field: "format"))
        }
        var episode: Int64?
        if let text = query.get("episode") {
            guard let id = Int64(text) else { return APIJSON.response(status: .badRequest, APIError(error: "episode: expected an id", field: "episode")) }
            episode = id
        }
        var from: Double?, to: Double?
        if let text = query.get("from") {
            guard let value = TimeExpression.seconds(text, now: now) else {
                return APIJSON.response(status: .badRequest, APIError(error: "from: expected RFC 3339, Unix seconds or \"2h ago\"", field: "from"))
            }
            from = value
        }
        if let text = query.get("to") {
            guard let value = TimeExpression.seconds(text, now: now) else {
                return APIJSON.response(status: .badRequest, APIError(error: "to: expected RFC 3339, Unix seconds or \"now\"", field: "to"))
            }
            to = value
        }
        guard episode != nil || from != nil else {
            return APIJSON.response(status: .badRequest, APIError(error: "give episode=ID or from=TIME", field: "episode"))
        }
        do {
            let report = try PostMortemBuilder(reader: history)
                .build(episodeID: episode, from: from, to: to ?? (from == nil ? nil : now), group: query.get("group"), generatedAtSeconds: now)
            return Response(status: .ok, headers: [.contentType: format.contentType],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try format.render(report))))
        } catch let error as PostMortemBuilder.NotFound {
            return APIJSON.response(status: .notFound, APIError(error: error.description, field: error.field))
        } catch {
            return APIJSON.response(status: .internalServerError, APIError(error: "report failed: \(error)"))
        }
    }
}
