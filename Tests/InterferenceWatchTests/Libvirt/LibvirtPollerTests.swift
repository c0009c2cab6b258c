import Detectors
import Foundation
import Logging
import Testing

@testable import InterferenceWatch
@testable import Parsers

/// `virsh` found the way the collector finds it; the libvirt tests against `test:///default` need it.
private let virshAvailable = VirshRunner().isAvailable

struct LibvirtParsingTests {
    /// Captured from `virsh -c test:///default dommemstat test` (libvirt 9.0.0) after `setmem test 1000000`.
    static let memStatAfterSetmem = """
        actual 1000000
        swap_in 0
        swap_out 0
        major_fault 0
        minor_fault 0
        unused 500000
        available 1000000
        usable 500000
        last_update 627319920
        disk_caches 125000
        hugetlb_pgalloc 0
        hugetlb_pgfail 0
        rss 500000

        """

    static let domInfo = """
        Id:             1
        Name:           test
        UUID:           6695eb01-f6a4-8304-79aa-97f2502e193f
        OS Type:        linux
        State:          running
        CPU(s):         2
        CPU time:       1795789600.1s
        Max memory:     8388608 KiB
        Used memory:    1000000 KiB
        Persistent:     yes

        """

    @Test func mapsDommemstatAndDominfoToBytes() {
        let sample = VMSample(libvirtDomain: "test", info: DomInfo(parsing: Self.domInfo),
                              memoryStats: DomMemStat(parsing: Self.memStatAfterSetmem))
        #expect(sample == VMSample(
            name: "test", source: .libvirt, up: true, status: "running",
            configuredBytes: 8_388_608 * 1024, balloonActualBytes: 1_000_000 * 1024,
            balloonTargetBytes: 1_000_000 * 1024, maximumBytes: 8_388_608 * 1024,
            guestStats: VMSample.GuestStats(
                freeBytes: 500_000 * 1024, availableBytes: 500_000 * 1024, totalBytes: 1_000_000 * 1024,
                diskCachesBytes: 125_000 * 1024, swapInBytes: 0, swapOutBytes: 0, majorFaults: 0, minorFaults: 0,
                lastUpdateSeconds: 627_319_920),
            rssBytes: 500_000 * 1024))
    }

    @Test func sizesThatOverflowReadAsNotReported() {
        // Found by Fuzz/Virsh: the KiB-to-bytes multiplication trapped.
        let info = DomInfo(parsing: "Max memory:     62731944444444920 KiB\nUsed memory:    18014398509481983 KiB\n")
        #expect(info.maxMemoryBytes == nil)
        #expect(info.usedMemoryBytes == UInt64(18_014_398_509_481_983) * 1024)
    }

    @Test func shutOffDomainHasNoBalloonNumbers() {
        let info = DomInfo(parsing: "State:          shut off\nMax memory:     1048576 KiB\nUsed memory:    1048576 KiB\n")
        let sample = VMSample(libvirtDomain: "idle", info: info, memoryStats: nil)
        #expect(sample.up)
        #expect(sample.status == "shut off")
        #expect(sample.balloonActualBytes == nil)
        #expect(sample.guestStats == nil)
        #expect(sample.balloonTargetBytes == 1_073_741_824)
    }

    @Test func skipsJunkLinesAndKeepsOnlyWhatIsThere() {
        let stats = DomMemStat(parsing: "actual 1024\nrss 2048\nerror: something\n\nbogus line here\n")
        #expect(stats.values == ["actual": 1024, "rss": 2048])
        let sample = VMSample(libvirtDomain: "d", info: DomInfo(state: "running"), memoryStats: stats)
        #expect(sample.guestStats == nil)  // A guest without the balloon driver reports only actual and rss.
        #expect(sample.balloonActualBytes == 1_048_576)
    }

    /// The test driver forgets `setmem` when the connection closes, so both commands run in one virsh process.
    @Test(.enabled(if: virshAvailable, "virsh not installed (apt-get install libvirt-clients)"))
    func setmemThenDommemstatInOneConnection() async throws {
        let output = try await VirshRunner().run(["-c", "test:///default", "setmem test 1000000; dommemstat test"],
                                                 timeout: .seconds(10))
        #expect(DomMemStat(parsing: output) == DomMemStat(parsing: Self.memStatAfterSetmem))
    }
}

@Suite(.enabled(if: virshAvailable, "virsh not installed (apt-get install libvirt-clients)"), .timeLimit(.minutes(1)))
struct LibvirtPollerTests {
    static let configuration = LibvirtConfiguration(uri: "test:///default", pollInterval: .milliseconds(200),
                                                    discoveryInterval: .seconds(1), commandTimeout: .seconds(10))

    @Test func discoversAndReadsTheTestDomain() async throws {
        let collector = LibvirtPoller(configuration: Self.configuration, logger: TestLogHandlerStore().logger())
        #expect(try await collector.discover() == ["test"])
        let sample = await collector.read(domain: "test")
        #expect(sample.up, "\(sample.error ?? "")")
        #expect(sample.source == .libvirt)
        #expect(sample.status == "running")
        #expect(sample.balloonActualBytes == 2_097_152 * 1024)
        #expect(sample.balloonTargetBytes == 2_097_152 * 1024)
        let maximum: UInt64 = 8_388_608 * 1024
        #expect(sample.maximumBytes == maximum)
        #expect(sample.rssBytes == 1_048_576 * 1024)
        #expect(sample.guestStats?.totalBytes == 2_097_152 * 1024)
        #expect(sample.guestStats?.availableBytes == 1_048_576 * 1024)
        #expect(sample.guestStats?.diskCachesBytes == 262_144 * 1024)
    }

    @Test func runPublishesSamples() async throws {
        let collector = LibvirtPoller(configuration: Self.configuration, logger: TestLogHandlerStore().logger())
        let run = Task { try await collector.run() }
        defer { run.cancel() }
        // virsh is slow while every suite starts at once: a generous bound, left as soon as a sample is there.
        _ = await eventually(within: 60) { !collector.samples().isEmpty }
        #expect(collector.samples().map(\.name) == ["test"])
        #expect(collector.samples().first?.up == true)
    }

    @Test func unknownDomainIsDownWithVirshsMessage() async {
        let logs = TestLogHandlerStore()
        let collector = LibvirtPoller(configuration: Self.configuration, logger: logs.logger())
        let sample = await collector.read(domain: "no-such-domain")
        #expect(!sample.up)
        #expect(sample.error?.contains("dominfo no-such-domain") == true, "\(sample.error ?? "")")
        #expect(sample.error?.contains("failed to get domain") == true, "\(sample.error ?? "")")
        _ = await collector.read(domain: "no-such-domain")
        let warnings = logs.all.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.metadata["vm.name"] == "no-such-domain")
        #expect(warnings.first?.metadata["libvirt.uri"] == "test:///default")
    }
}

struct LibvirtFailureTests {
    @Test func missingVirshSaysLibvirtUnavailable() async {
        var configuration = LibvirtPollerTests.configuration
        configuration.virshPath = "/nonexistent/virsh"
        let collector = LibvirtPoller(configuration: configuration, logger: TestLogHandlerStore().logger())
        #expect(!collector.isAvailable)
        let sample = await collector.read(domain: "test")
        #expect(!sample.up)
        #expect(sample.error?.hasPrefix("libvirt unavailable") == true, "\(sample.error ?? "")")
    }

    /// libvirt's messages tell a libvirtd virsh cannot reach (stopped: its socket refuses, or is not there yet) and a
    /// connection that dropped half way from a command libvirt refused; both ways of not reaching it are one problem,
    /// logged once.
    @Test func virshThatReachesNoLibvirtdIsAConnectError() {
        let refused = LibvirtError.exited(
            command: "virsh -r -c qemu:///system dominfo web1", status: 1,
            stderr: "error: failed to connect to the hypervisor error: Failed to connect socket to "
                + "'/var/run/libvirt/libvirt-sock-ro': Connection refused")
        let missing = LibvirtError.exited(
            command: "virsh -r -c qemu:///system dommemstat web1", status: 1,
            stderr: "error: failed to connect to the hypervisor error: Failed to connect socket to "
                + "'/var/run/libvirt/libvirt-sock-ro': No such file or directory")
        let unknown = LibvirtError.exited(command: "virsh -r -c qemu:///system dominfo web1", status: 1,
                                          stderr: "error: failed to get domain 'web1'")
        #expect(refused.reason == "connect")
        #expect(missing.reason == "connect")
        #expect(refused.category == missing.category)
        #expect(refused.description.contains("dominfo web1: cannot connect to libvirt: error: failed to connect"),
                "\(refused)")
        let cutOff = LibvirtError.exited(command: "virsh -r -c qemu:///system dommemstat web1", status: 1,
                                         stderr: "error: End of file while reading data: Input/output error")
        #expect(cutOff.reason == "closed")
        #expect(cutOff.category != refused.category)
        #expect(unknown.reason == "command")
        #expect(unknown.category != refused.category)
        #expect(unknown.kind == .failed(status: 1, stderr: "error: failed to get domain 'web1'"))
    }

    /// A virsh that cannot reach libvirtd, read after read: each read counted as `connect`, one warning for the
    /// whole outage with the reason, the URI and the VM, and one "reachable again" once virsh answers.
    @Test func unreachableLibvirtdIsOneOutage() async throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("iw-refused-virsh-\(UUID()).sh")
        defer { try? FileManager.default.removeItem(at: script) }
        func fakeVirsh(_ body: String) throws {
            try ("#!/bin/sh\n" + body).write(to: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        }
        try fakeVirsh("""
            echo "error: failed to connect to the hypervisor" >&2
            echo "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock-ro': Connection refused" >&2
            exit 1

            """)
        let logs = TestLogHandlerStore()
        let configuration = LibvirtConfiguration(uri: "qemu:///system", commandTimeout: .seconds(30),
                                                 domains: ["web1"], virshPath: script.path)
        let collector = LibvirtPoller(configuration: configuration, logger: logs.logger())
        for _ in 0..<3 {
            let sample = await collector.read(domain: "web1")
            #expect(!sample.up)
            #expect(sample.error?.contains("cannot connect to libvirt") == true, "\(sample.error ?? "")")
        }
        #expect(collector.readings().map(\.errorCounts) == [["connect": 3]])
        let warnings = logs.all.filter { $0.level == .warning }
        #expect(warnings.count == 1, "\(warnings.map(\.metadata))")
        let warning = try #require(warnings.first)
        #expect(warning.message == "libvirt read failed")
        #expect(warning.metadata["vm.name"] == "web1")
        #expect(warning.metadata["libvirt.uri"] == "qemu:///system")
        #expect(warning.metadata["error.reason"] == "connect")
        #expect(warning.metadata["error.message"].map { "\($0)".contains("Connection refused") } == true)

        let shutOff = "State:          shut off\\nMax memory:     1048576 KiB\\nUsed memory:    1048576 KiB\\n"
        try fakeVirsh("printf '\(shutOff)'\n")
        let sample = await collector.read(domain: "web1")
        #expect(sample.up, "\(sample.error ?? "")")
        _ = await collector.read(domain: "web1")
        #expect(logs.all.filter { $0.level == .info && $0.message.contains("reachable again") }.count == 1)
        #expect(logs.all.filter { $0.level == .warning }.count == 1)
        #expect(collector.readings().map(\.errorCounts) == [["connect": 3]])
    }

    /// A virsh that hangs (libvirtd stuck) is killed at the timeout, without holding up the caller's threads.
    @Test(.timeLimit(.minutes(1)))
    func hangingVirshTimesOut() async throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("iw-slow-virsh-\(UUID()).sh")
        try "#!/bin/sh\nexec sleep 30\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        defer { try? FileManager.default.removeItem(at: script) }
        let configuration = LibvirtConfiguration(uri: "test:///default", commandTimeout: .milliseconds(500),
                                                 domains: ["slow"], virshPath: script.path)
        let collector = LibvirtPoller(configuration: configuration, logger: TestLogHandlerStore().logger())
        // The error text proves the timeout fired (the fake virsh would otherwise exit cleanly after 30 s with no
        // output); no stopwatch, which a loaded machine would make flaky.
        let sample = await collector.read(domain: "slow")
        #expect(!sample.up)
        #expect(sample.error?.contains("no answer within 0.5 s") == true, "\(sample.error ?? "")")
    }
}
