import Detectors
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Parsers

/// Scrapes the servers' own Prometheus histograms for one group and records each window's observations.
///
/// Each scrape is compared with the previous one (``HistogramBaseline``); the window's bucket deltas become at most
/// `sampleCap` stand-in samples (``HistogramDelta/representativeValues(cap:)``) with source `.scrape`, stamped with the
/// scrape time. The first scrape and the one after a counter reset only set the baseline. A failed or malformed scrape
/// is skipped, counted, and logged once until the server recovers.
struct HistogramScraper<C: Clock>: Service where C.Duration == Duration {
    let group: GroupSettings
    let recorder: LatencyRecorder
    let logger: Logger
    let clock: C
    /// Most samples one scrape may add per server.
    let sampleCap: Int
    let maxBodyBytes: Int
    let wallClock: @Sendable () -> Double

    init(group: GroupSettings, recorder: LatencyRecorder, logger: Logger, clock: C, sampleCap: Int = 500,
         maxBodyBytes: Int = 16 << 20, wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.group = group
        self.recorder = recorder
        self.logger = logger
        self.clock = clock
        self.sampleCap = sampleCap
        self.maxBodyBytes = maxBodyBytes
        self.wallClock = wallClock
    }

    /// The servers of the group that have a `scrape:` section.
    var targets: [(server: String, scrape: GroupSettings.Scrape)] {
        self.group.servers.compactMap { server in server.scrape.map { (server.name, $0) } }
    }

    func run() async throws {
        let targets = self.targets
        guard !targets.isEmpty else { return }
        var configuration = HTTPClient.Configuration(redirectConfiguration: .follow(max: 3, allowCycles: false))
        configuration.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        await withTaskGroup(of: Void.self) { tasks in
            for target in targets {
                tasks.addTask { await self.loop(server: target.server, scrape: target.scrape, client: client) }
            }
        }
        do {
            try await client.shutdown()
        } catch {
            self.logger.warning("scrape client shutdown failed", metadata: ["error": "\(error)"])
        }
    }

    private func loop(server: String, scrape: GroupSettings.Scrape, client: HTTPClient) async {
        var baseline = HistogramBaseline()
        var lastError: String?
        var ticker = PeriodicTicker(clock: self.clock, interval: scrape.interval)
        let metadata: Logger.Metadata = ["group.name": "\(self.group.name)", "server.name": "\(server)", "scrape.url": "\(scrape.url)"]
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            ticker.startTick()
            do {
                let current = baseline
                baseline = try await cancelWhenGracefulShutdown {
                    try await self.scrapeOnce(server: server, scrape: scrape, client: client, baseline: current)
                }
                if lastError != nil { self.logger.info("scrape recovered", metadata: metadata) }
                lastError = nil
            } catch let error as ScrapeError {
                self.recorder.recordScrapeFailure(group: self.group.name, server: server)
                if error.message != lastError {
                    self.logger.warning("scrape failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                    lastError = error.message
                }
            } catch {
                break  // cancelled
            }
            guard await ticker.sleepUntilDue() else { break }
        }
    }

    struct ScrapeError: Error, CustomStringConvertible {
        var url: String
        var message: String
        var description: String { "\(self.url): \(self.message)" }
    }

    /// Fetches and parses one scrape, records the window's samples, and returns the new baseline.
    ///
    /// - Throws: ``ScrapeError`` naming the URL (and the line, for a malformed page); `CancellationError`.
    func scrapeOnce(server: String, scrape: GroupSettings.Scrape, client: HTTPClient,
                    baseline: HistogramBaseline) async throws -> HistogramBaseline {
        let text = try await self.fetch(scrape, client: client)
        let at = self.wallClock()
        var baseline = baseline
        let samples = try self.ingest(text, server: server, scrape: scrape, at: at, baseline: &baseline)
        self.recorder.record(samples)
        return baseline
    }

    /// The pure part of a scrape: parse the page, advance the baseline, make the window's samples.
    func ingest(_ text: String, server: String, scrape: GroupSettings.Scrape, at: Double,
                baseline: inout HistogramBaseline) throws(ScrapeError) -> [LatencySample] {
        let histogram: ScrapedHistogram
        do {
            histogram = try ScrapedHistogram.parse(text, metric: scrape.metric, labels: scrape.labels)
        } catch {
            throw ScrapeError(url: scrape.url, message: error.description)
        }
        guard let delta = baseline.advance(to: histogram) else { return [] }
        return delta.representativeValues(cap: self.sampleCap).map {
            LatencySample(group: self.group.name, server: server, source: .scrape, seconds: $0, atSeconds: at)
        }
    }

    private func fetch(_ scrape: GroupSettings.Scrape, client: HTTPClient) async throws -> String {
        var request = HTTPClientRequest(url: scrape.url)
        // Ask for the classic text format: OpenMetrics would work too, protobuf would not.
        request.headers.add(name: "Accept", value: "text/plain;version=0.0.4;q=1,*/*;q=0.1")
        request.headers.add(name: "User-Agent", value: "interference-watch-scraper")
        let nanoseconds = Int64(scrape.timeout / .nanoseconds(1))
        do {
            let response = try await client.execute(request, deadline: .now() + .nanoseconds(nanoseconds))
            guard (200..<300).contains(response.status.code) else {
                throw ScrapeError(url: scrape.url, message: "status \(response.status.code)")
            }
            let body = try await response.body.collect(upTo: self.maxBodyBytes)
            return String(buffer: body)
        } catch let error as ScrapeError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as NIOTooManyBytesError {
            throw ScrapeError(url: scrape.url, message: "page larger than \(self.maxBodyBytes) bytes (\(error))")
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw ScrapeError(url: scrape.url, message: "\(error)")
        }
    }
}

extension HistogramScraper where C == ContinuousClock {
    init(group: GroupSettings, recorder: LatencyRecorder, logger: Logger, sampleCap: Int = 500) {
        self.init(group: group, recorder: recorder, logger: logger, clock: ContinuousClock(), sampleCap: sampleCap)
    }
}

/// The previous scrape of one server's histogram, against which the next one is diffed.
struct HistogramBaseline: Sendable, Equatable {
    private(set) var previous: ScrapedHistogram?

    init(previous: ScrapedHistogram? = nil) {
        self.previous = previous
    }

    /// Takes `current` as the new baseline and returns what happened since the old one.
    ///
    /// - Returns: `nil` on the first scrape and after a counter reset (the window is unknown, so it is skipped).
    mutating func advance(to current: ScrapedHistogram) -> HistogramDelta? {
        defer { self.previous = current }
        guard let previous = self.previous else { return nil }
        return HistogramDelta(previous: previous, current: current)
    }
}
