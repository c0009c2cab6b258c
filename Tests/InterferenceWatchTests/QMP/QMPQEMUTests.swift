@testable import Parsers
import Detectors
import Foundation
import Logging
import NIOPosix
import Testing

@testable import InterferenceWatch

/// The client against a real QEMU 7.2 with a booted guest (balloon driver loaded), built by `contrib/lab/vm`.
@Suite(.enabled(if: QEMULab.qemuAvailable, "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"),
       .serialized, .timeLimit(.minutes(6)))
struct QMPQEMUTests {
    static let mebibyte: UInt64 = 1 << 20

    @Test func seesABalloonShrinkRequestedThroughASecondSocket() async throws {
        let lab = try await QEMULab.start(memoryMiB: 256)
        defer { lab.stop() }
        print("QEMU lab: \(lab.name) pid \(lab.pid) accel=\(lab.accelerator) booted in \(lab.bootSeconds) s")

        let logs = TestLogHandlerStore()
        let configuration = QMPConfiguration(
            pollInterval: .milliseconds(500),
            timeouts: .init(connect: .seconds(2), greeting: .seconds(2), command: .seconds(5)),
            guestStatsIntervalSeconds: 1)
        let monitor = QMPMonitor(target: QMPTarget(socketPath: lab.socketA), configuration: configuration,
                                 logger: logs.logger())
        let first = await monitor.poll()
        #expect(first.up, "\(first.error ?? "")")
        #expect(first.name == lab.name)  // From QEMU's -name via query-name.
        #expect(first.status == "running")
        #expect(first.configuredBytes == 256 * Self.mebibyte)
        #expect(first.balloonActualBytes == 256 * Self.mebibyte)
        #expect(first.pid == lab.pid)
        print("QEMU lab: first poll (connect + handshake + reads) took \(first.readDurationSeconds ?? -1) s")

        // A second client on the same socket is accepted but never greeted: the error must say so.
        let intruder = QMPMonitor(
            target: QMPTarget(socketPath: lab.socketA),
            configuration: QMPConfiguration(timeouts: .init(greeting: .seconds(1))), logger: logs.logger())
        let refused = await intruder.poll()
        #expect(!refused.up)
        #expect(refused.error?.contains("probably in use by another client") == true, "\(refused.error ?? "")")

        // Another tool, on the second socket, shrinks the guest to 192 MiB.
        let other = try await QMPConnection.connect(socketPath: lab.socketB,
                                                    eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                                                    onEvent: { _ in })
        defer { other.close() }
        try await other.execute("balloon", arguments: ["value": .unsigned(192 * Self.mebibyte)])

        let clock = ContinuousClock()
        let start = clock.now
        var sample = await monitor.poll()
        // Guest stats reported before the inflation still show the old MemTotal; wait for a later report.
        _ = await eventually(within: 60, every: .milliseconds(500)) {
            sample = await monitor.poll()
            guard let total = sample.guestStats?.totalBytes else { return false }
            return sample.balloonActualBytes == 192 * Self.mebibyte && sample.balloonChanges > 0 && total < 192 * Self.mebibyte
        }
        print("QEMU lab: balloon settled and stats arrived after \(clock.now - start); "
              + "steady poll took \(sample.readDurationSeconds ?? -1) s")
        #expect(sample.up, "\(sample.error ?? "")")
        #expect(sample.balloonActualBytes == 192 * Self.mebibyte)
        #expect(sample.balloonChanges >= 1)
        #expect(sample.eventCounts["BALLOON_CHANGE"] == sample.balloonChanges)
        #expect(sample.lastBalloonChangeActualBytes != nil)
        #expect(sample.lastBalloonChangeSeconds != nil)
        #expect(sample.balloonInflatedBytes == 64 * Self.mebibyte)
        let stats = try #require(sample.guestStats)
        // The guest's MemTotal shrinks with the balloon: below 192 MiB, and well above nothing.
        let total = try #require(stats.totalBytes)
        #expect(total < 192 * Self.mebibyte && total > 64 * Self.mebibyte, "\(total)")
        #expect(stats.freeBytes != nil)
        #expect(stats.availableBytes != nil)
        #expect(stats.minorFaults != nil)
        #expect(try #require(stats.lastUpdateSeconds) > 1_600_000_000)

        // QEMU going away: the VM goes down with a clear error; no warning storm.
        lab.stop()
        var gone = sample
        _ = await eventually(within: 30, every: .milliseconds(100)) {
            gone = await monitor.poll()
            return !gone.up
        }
        #expect(!gone.up)
        #expect(gone.error?.contains(lab.socketA) == true, "\(gone.error ?? "")")
        await monitor.disconnect()
    }
}
