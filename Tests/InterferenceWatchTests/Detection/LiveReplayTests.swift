import ArgumentParser
import AsyncHTTPClient
import Detectors
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@testable import InterferenceWatch

extension LiveImbalanceTests {
    /// Replay equals live: the study's four-server squeeze runs through the daemon's own pipeline (real cgroups,
    /// real task servers, real collectors, probes, publisher and detection engine); every sweep and latency sample it
    /// produced is encoded and decoded as history would store it, and replayed through a fresh ``SweepDetection``.
    /// The replay must give exactly the live engine's steps: the same windows, verdicts and finding changes.
    ///
    /// In the serialized live suite, so it never shares the machine's memory with the other live experiment.
    @Test func recordedLiveRunReplaysToTheSameVerdicts() async throws {
        var cgroups: [LiveCgroup] = []
        var ports: [Int] = []
        for index in 1...4 {
            let cgroup = try LiveCgroup(name: "replay-s\(index)")
            let port = LoopbackPort.free()
            try cgroup.spawn(["python3", Self.taskServer, "--bind", "127.0.0.1", "--port", "\(port)", "--writes", "100000",
                              "--heap-mb", "96", "--quiet"])
            cgroups.append(cgroup)
            ports.append(port)
        }
        for port in ports {
            let up = await eventually(within: 20, every: .milliseconds(200)) {
                let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
                return (try? await HTTPClient.shared.execute(request, timeout: .seconds(2)))?.status == .ok
            }
            try #require(up, "task server on port \(port) did not start")
        }
        let servers = (0..<4).map { "      - {name: s\($0 + 1), url: \"http://127.0.0.1:\(ports[$0])/task\", cgroup: \(cgroups[$0].path)}" }
        let config = try DaemonConfig.parse("""
            groups:
              - name: lab
                probe: {interval: 100ms, timeout: 20s}
                servers:
            \(servers.joined(separator: "\n"))

            """, file: "replay.yaml")

        // The daemon's pipeline, as RunCommand wires it, plus a recorder of every sweep (what history will store).
        let logger = Logger(label: "replay")
        let options = try CollectionOptions.parse(["--no-collector.process", "--no-collector.vm"])
        let reader = CachedFileReader()
        let runner = SweepRunnerBox(SweepRunner(collectors: options.makeCollectors(config: config, reader: reader),
                                                reader: reader, logger: logger))
        let publisher = SweepPublisher(logger: logger)
        let recorder = LatencyRecorder()
        let windowSeconds = 5.0
        let pageSizeBytes = Double(sysconf(Int32(_SC_PAGESIZE)))
        let engine = DetectionEngine(groups: config.detectionGroups, windowSeconds: windowSeconds, recorder: recorder,
                                     pageSizeBytes: pageSizeBytes, logger: logger)
        let detectionSweeps = publisher.subscribe("detection", bufferSize: 10_000)
        let recordedSweeps = publisher.subscribe("recording", bufferSize: 10_000)
        let recording = Recording()
        let sampler = Sampler(runner: runner, publisher: publisher, interval: .milliseconds(500), clock: ContinuousClock(),
                              logger: logger)
        let probes = LatencyServices(groups: config.groups, recorder: recorder, logger: logger)
        let pipeline = Task {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await sweep in detectionSweeps {
                        if let step = engine.ingest(sweep.sweep) { recording.steps.withLock { $0.append(step) } }
                    }
                }
                group.addTask { for await sweep in recordedSweeps { recording.sweeps.withLock { $0.append(sweep.sweep) } } }
                group.addTask { try? await probes.run() }
                group.addTask { try? await sampler.run() }
            }
        }
        defer { pipeline.cancel() }

        // Three calm windows first, then s2 squeezed below its heap until the live engine flags it.
        let calm = await eventually(within: 90, every: .milliseconds(200)) { recording.steps.withLock { $0.count } >= 3 }
        try #require(calm, "fewer than three windows closed")
        try await cgroups[1].squeeze(toBytes: 48 << 20)
        let flagged = await eventually(within: 120, every: .milliseconds(500)) {
            engine.findings.contains { $0.server == "s2" && $0.kind == .imbalance }
        }
        #expect(flagged, "s2 never flagged: \(engine.findings)")
        pipeline.cancel()
        await pipeline.value
        try cgroups[1].write("memory.limit_in_bytes", "-1")

        // Stored and read back, then replayed from scratch.
        let live = recording.steps.withLock { $0 }
        let encoder = StoredJSON.encoder, decoder = StoredJSON.decoder
        let sweeps = try decoder.decode([Sweep].self, from: encoder.encode(recording.sweeps.withLock { $0 }))
        let samples = try decoder.decode([LatencySample].self, from: encoder.encode(recorder.allSamples))
        let replayed = SweepDetection.replay(sweeps: sweeps, samples: LatencyLog(samples: samples), groups: config.detectionGroups,
                                             windowSeconds: windowSeconds, pageSizeBytes: pageSizeBytes)
        #expect(live.count >= 4, "only \(live.count) windows closed")
        #expect(live.flatMap(\.changes.opened).contains { $0.server == "s2" })
        #expect(replayed.count == live.count)
        for (index, (a, b)) in zip(live, replayed).enumerated() where a != b {
            Issue.record("window \(index) differs:\nlive \(a)\nreplay \(b)")
            break
        }
        print("live replay: \(live.count) windows, \(sweeps.count) sweeps, \(samples.count) samples; replay equal: \(live == replayed)")
    }
}

/// What the live run produced, filled by the pipeline's tasks.
private final class Recording: Sendable {
    let steps = Mutex<[SweepDetection.Step]>([])
    let sweeps = Mutex<[Sweep]>([])
}
