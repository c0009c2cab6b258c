import Detectors
import Foundation
import Logging
import Synchronization
import Testing

@testable import InterferenceWatch
@testable import Parsers

/// A collector that reports a fixed host and counts its runs.
private final class HostCollector: Collector {
    let name = "host"
    let runs = Mutex(0)

    func collect(into snapshot: inout CollectedSweep, issues: inout [ParseIssue]) throws {
        self.runs.withLock { $0 += 1 }
        snapshot.host = HostSample(meminfoBytes: ["MemTotal": 8 << 30, "MemAvailable": 4 << 30], vmstat: ["pswpin": 0])
    }
}

/// The loops under a manual clock: no test here waits for real time to pass, only for the loop to reach its sleep
/// (bounded generously: other suites may hold the two cooperative threads of a 2-core machine for a while).
@Suite(.serialized)
struct ServiceClockTests {
    @Test func tickerKeepsItsScheduleAndDoesNotBurstAfterAnOverrun() async throws {
        let manual = ManualClock()
        let ticks = Mutex<[Duration]>([])
        let work = Mutex<Duration>(.zero)  // how long the next tick's "work" takes (once), applied by the test
        let loop = Task {
            var ticker = PeriodicTicker(clock: manual.clock, interval: .seconds(10))
            repeat {
                ticker.startTick()
                ticks.withLock { $0.append(manual.now()) }
                let cost = work.withLock { work in
                    defer { work = .zero }
                    return work
                }
                if cost > .zero { manual.advance(by: cost) }
            } while await ticker.sleepUntilDue()
        }
        defer { loop.cancel() }
        #expect(await eventually(within: 60) { manual.sleeperCount == 1 })
        manual.advance(by: .seconds(10))
        #expect(await eventually(within: 60) { ticks.withLock { $0.count } == 2 && manual.sleeperCount == 1 })
        // A tick whose work takes 35 s: the next starts at once, and the one after a full interval later (no burst).
        work.withLock { $0 = .seconds(35) }
        manual.advance(by: .seconds(10))
        #expect(await eventually(within: 60) { ticks.withLock { $0.count } == 4 && manual.sleeperCount == 1 })
        #expect(ticks.withLock { $0 } == [.seconds(0), .seconds(10), .seconds(20), .seconds(55)])
        manual.advance(by: .seconds(9))
        try await Task.sleep(for: .milliseconds(50))  // a wrongly woken loop would tick in this time
        #expect(ticks.withLock { $0.count } == 4)
        manual.advance(by: .seconds(1))
        #expect(await eventually(within: 60) { ticks.withLock { $0.count } == 5 })
        #expect(ticks.withLock { $0.last } == .seconds(65))
    }

    @Test func samplerPublishesEveryIntervalAndDetectionClosesWindowsOnSweeps() async throws {
        let manual = ManualClock()
        let epoch = 1_767_225_600.0
        let wall: @Sendable () -> Double = { epoch + Double(manual.now().components.seconds) }
        let collector = HostCollector()
        let runner = SweepRunnerBox(SweepRunner(collectors: [collector], reader: CachedFileReader(), logger: Logger(label: "t")))
        let publisher = SweepPublisher(logger: Logger(label: "t"))
        let recorder = LatencyRecorder(now: wall)
        let groups = [SweepDetection.Group(name: "g", servers: ["a", "b"], workloadOfServer: [:])]
        let engine = DetectionEngine(groups: groups, windowSeconds: 3, recorder: recorder,
                                     pageSizeBytes: 4096, logger: Logger(label: "t"))
        let advice = HostMemoryAdvice()
        let detection = DetectionService(engine: engine, advice: advice, sweeps: publisher.subscribe("detection"), logger: Logger(label: "t"))
        // The start-up hook (the daemon's code page release) runs once, after the loop's second sweep (second 1).
        let hookRuns = Mutex<[Double]>([])
        let sampler = {
            var sampler = Sampler(runner: runner, publisher: publisher, interval: .seconds(1), clock: manual.clock, wallClock: wall,
                                  uptime: { Double(manual.now().components.seconds) }, logger: Logger(label: "t"))
            sampler.afterStartup = { hookRuns.withLock { $0.append(publisher.latest.current.atSeconds) } }
            return sampler
        }()
        let services = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { try? await detection.run() }
                group.addTask { try? await sampler.run() }
            }
        }
        defer { services.cancel() }

        #expect(await eventually(within: 60) { collector.runs.withLock { $0 } == 1 && manual.sleeperCount == 1 })
        #expect(publisher.latest.current.atSeconds == epoch)
        for second in 1...3 {
            recorder.record([LatencySample(group: "g", server: "a", source: .push, seconds: 1, atSeconds: wall()),
                             LatencySample(group: "g", server: "b", source: .push, seconds: 1, atSeconds: wall())])
            manual.advance(by: .seconds(1))
            #expect(await eventually(within: 60) { collector.runs.withLock { $0 } == second + 1 && manual.sleeperCount == 1 })
        }
        // The third sweep after the first ends the 3 s window, with the samples that arrived in it.
        #expect(await eventually(within: 60) { !engine.verdicts.isEmpty })
        let verdict = try #require(engine.verdicts.first)
        #expect(verdict.startSeconds == epoch && verdict.endSeconds == epoch + 3)
        #expect(verdict.servers.map(\.statistics.count) == [3, 3])
        #expect(await eventually(within: 60) { advice.recommendation()?.current.usedBytes == 4 << 30 })
        #expect(hookRuns.withLock { $0 } == [epoch + 1])

        // Cancelling ends the sampler, which ends the consumers' streams: the whole set stops.
        services.cancel()
        await services.value
        #expect(publisher.droppedTotals.allSatisfy { $0.count == 0 })
    }

    @Test func freePagesAreReleasedOnceEverySecondUntilCancelled() async throws {
        let manual = ManualClock()
        let releases = Mutex<[Duration]>([])
        let releaser = FreePageReleaser(clock: manual.clock) { releases.withLock { $0.append(manual.now()) } }
        let loop = Task { try await releaser.run() }
        defer { loop.cancel() }
        // Once at start, then once a second of the injected clock, never in between.
        #expect(await eventually(within: 60) { releases.withLock { $0.count } == 1 && manual.sleeperCount == 1 })
        manual.advance(by: .milliseconds(999))
        try await Task.sleep(for: .milliseconds(50))  // a wrongly woken loop would release in this time
        #expect(releases.withLock { $0.count } == 1)
        manual.advance(by: .milliseconds(1))
        #expect(await eventually(within: 60) { releases.withLock { $0.count } == 2 && manual.sleeperCount == 1 })
        manual.advance(by: .seconds(1))
        #expect(await eventually(within: 60) { releases.withLock { $0.count } == 3 && manual.sleeperCount == 1 })
        #expect(releases.withLock { $0 } == [.seconds(0), .seconds(1), .seconds(2)])
        loop.cancel()
        try await loop.value
        manual.advance(by: .seconds(5))
        #expect(releases.withLock { $0.count } == 3)
    }

    @Test func releasingFreePagesReturnsAFreedHeapToTheKernel() throws {
        // Many small blocks (below the 1 MiB mmap threshold, so from the heap), every other one freed: the freed
        // half is interleaved with live blocks, where glibc's own trimming of the heap's top never reaches.
        let blocks = 4096, size = 16 << 10
        var live: [UnsafeMutableRawPointer] = []
        var freed: [UnsafeMutableRawPointer] = []
        for index in 0..<blocks {
            let block = try #require(malloc(size))
            memset(block, 1, size)  // resident
            if index % 2 == 0 { live.append(block) } else { freed.append(block) }
        }
        defer { live.forEach { free($0) } }
        let before = try Self.anonymousKiB()
        freed.forEach { free($0) }
        MallocTuning.releaseFreePages()
        let after = try Self.anonymousKiB()
        // Half of 64 MiB went back; other threads of the test process allocate meanwhile, so only most of it is asked.
        #expect(before - after > (blocks / 2) * (size >> 10) / 2, "anonymous memory \(before) KiB before, \(after) KiB after")
    }

    /// This process's resident anonymous memory (smaps_rollup: exact, unlike the status file's counters).
    static func anonymousKiB() throws -> Int {
        let rollup = try String(contentsOfFile: "/proc/self/smaps_rollup", encoding: .utf8)
        let line = try #require(rollup.split(separator: "\n").first { $0.hasPrefix("Anonymous:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }
}
