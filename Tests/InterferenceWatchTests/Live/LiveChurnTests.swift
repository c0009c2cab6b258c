import Foundation
import Synchronization
import Testing

/// QMP peers that appear and vanish in a directory the daemon globs: each lives `lifetime`, a new one comes every
/// `every`, each with a VM name of its own. Blocking socket work, so it runs on a thread of its own.
private final class QMPChurn: Sendable {
    private struct State {
        var alive: [(peer: MockQMPPeer, born: Date)] = []
        var names: [String] = []
        var stopped = false
    }

    let directory: String
    private let every: TimeInterval
    private let lifetime: TimeInterval
    private let state = Mutex(State())
    private let done = DispatchSemaphore(value: 0)

    init(directory: String, every: TimeInterval = 0.3, lifetime: TimeInterval = 1.5) {
        self.directory = directory
        self.every = every
        self.lifetime = lifetime
    }

    /// The VM names of every peer started so far.
    var names: [String] { self.state.withLock { $0.names } }

    func start() {
        Thread { [self] in
            var serial = 0
            while !self.state.withLock({ $0.stopped }) {
                let name = "churn-\(getpid())-\(serial)"
                serial += 1
                if let peer = try? MockQMPPeer(behavior: .healthy, directory: self.directory, name: name) {
                    self.state.withLock {
                        $0.alive.append((peer, Date()))
                        $0.names.append(name)
                    }
                }
                let old = self.state.withLock { state in
                    let (gone, kept) = (state.alive.filter { -$0.born.timeIntervalSinceNow >= self.lifetime },
                                        state.alive.filter { -$0.born.timeIntervalSinceNow < self.lifetime })
                    state.alive = kept
                    return gone
                }
                for (peer, _) in old { peer.stop() }
                usleep(useconds_t(self.every * 1e6))
            }
            self.done.signal()
        }.start()
    }

    /// Stops the churn and every peer still alive (their sockets are removed). Only the first call does anything.
    func stop(started: Bool = true) {
        let already = self.state.withLock { state -> Bool in
            defer { state.stopped = true }
            return state.stopped
        }
        guard !already else { return }
        if started { self.done.wait() }
        let alive = self.state.withLock { state in
            defer { state.alive = [] }
            return state.alive
        }
        for (peer, _) in alive { peer.stop() }
    }
}

/// The daemon through cgroups and VMs that appear and vanish far faster than it sweeps: hundreds of container
/// cgroups a second in both the v1 memory hierarchy and the unified tree, and QMP sockets coming and going in a
/// globbed directory. Churn alone is no error: nothing crashes, `/metrics` keeps answering with a valid exposition,
/// no error is counted or logged, the survivors are always there and, once the churn ends, the only ones left; what
/// vanished is counted in `collector_vanished_total`.
///
/// Counts only its own cgroups (under `/iw-test/churn-<pid>`) and VMs (`churn-<pid>-N`), so other tests' workloads
/// on the machine do not matter.
@Suite(.serialized, .enabled(if: LiveCgroupChurn.available, "needs root, a v1 memory hierarchy and the unified tree"),
       .timeLimit(.minutes(2)))
struct LiveChurnTests {
    static let churnSeconds = 12.0

    @Test func cgroupAndVMChurnIsNoError() async throws {
        LiveCgroupChurn.removeStale()
        let cgroups = try LiveCgroupChurn()
        defer { cgroups.stop() }
        let sockets = try TemporaryTree()
        let vms = QMPChurn(directory: sockets.root)
        var vmsStarted = false
        defer { vms.stop(started: vmsStarted) }
        let tree = try TemporaryTree()
        try tree.write("config.yaml", "qmp:\n  sockets: [\"\(sockets.root)/*.sock\"]\n")
        let daemon = try await DaemonProcess(arguments: ["--config", tree.root + "/config.yaml", "--collection.interval", "200ms",
                                                   "--vm.discovery-interval", "200ms"])
        defer { daemon.stop() }

        let prefix = "cgroup=\"\(cgroups.parent)/"
        let vmPrefix = "vm=\"churn-\(getpid())-"
        func scrape() async throws -> Exposition {
            let response = try await daemon.get("/metrics")
            #expect(response.status == 200)
            return Exposition(text: response.body)
        }
        func own(_ metrics: Exposition) -> [Substring] {
            metrics.lines("interferencewatch_workload_memory_usage_bytes").filter { $0.contains(prefix) }
        }
        func counter(_ name: String, _ collector: String, _ metrics: Exposition) -> Double {
            metrics.value(name, ["collector": collector]) ?? 0
        }

        var metrics = try await scrape()
        #expect(try await eventually(within: 30, every: .milliseconds(200)) {
            metrics = try await scrape()
            return own(metrics).count == cgroups.survivors.count
        }, "survivors not seen: \(own(metrics))")
        let errorsBefore = (counter("interferencewatch_collector_errors_total", "cgroup", metrics),
                            counter("interferencewatch_collector_errors_total", "vm", metrics))
        let vanishedBefore = (counter("interferencewatch_collector_vanished_total", "cgroup", metrics),
                              counter("interferencewatch_collector_vanished_total", "vm", metrics))
        #expect(metrics.value("interferencewatch_collector_vanished_total", ["collector": "vm"]) != nil)

        cgroups.start()
        vms.start()
        vmsStarted = true
        let started = Date()
        var scrapes = 0, mostOwn = 0, mostVMs = 0, linted = false
        while Date().timeIntervalSince(started) < Self.churnSeconds {
            try #require(daemon.process.isRunning, "the daemon exited: \(daemon.log.suffix(2000))")
            metrics = try await scrape()
            scrapes += 1
            let workloads = own(metrics)
            mostOwn = max(mostOwn, workloads.count)
            // Every survivor in every sweep, whatever vanished around it.
            for survivor in cgroups.survivors {
                #expect(workloads.contains { $0.contains("cgroup=\"\(survivor)\"") }, "\(survivor) missing mid-churn")
            }
            // The workloads gauge counts what the same sweep exported.
            let containers = metrics.lines("interferencewatch_workload_memory_usage_bytes")
                .filter { $0.contains("type=\"container\"") }.count
            #expect(metrics.value("interferencewatch_workloads", ["type": "container"]) == Double(containers))
            let vmErrors = metrics.lines("interferencewatch_vm_monitor_errors_total").filter { $0.contains(vmPrefix) }
            mostVMs = max(mostVMs, metrics.lines("interferencewatch_vm_up").filter { $0.contains(vmPrefix) }.count)
            #expect(vmErrors.allSatisfy { $0.hasSuffix(" 0") }, "\(vmErrors.filter { !$0.hasSuffix(" 0") })")
            if !linted && Date().timeIntervalSince(started) > Self.churnSeconds / 2 {
                let lint = try GoldenMetricsTests.promtool(["check", "metrics"], input: metrics.text)
                #expect(lint.status == 0, "promtool check metrics mid-churn: \(lint.output)")
                linted = true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        cgroups.finishChurn()
        vms.stop()
        let (created, removed) = cgroups.counts
        let seconds = Date().timeIntervalSince(started)

        // The churn is over: only the survivors are left, and no VM of ours.
        let found = { Set(daemon.log.split(separator: "\n").filter { $0.contains("msg=\"QMP socket found\"")
            && $0.contains("qmp.socket=\(sockets.root)/") }.map { String($0) }).count }
        #expect(try await eventually(within: 20, every: .milliseconds(200)) {
            metrics = try await scrape()
            return own(metrics).count == cgroups.survivors.count
                && metrics.lines("interferencewatch_vm_up").allSatisfy { !$0.contains(vmPrefix) }
                && counter("interferencewatch_collector_vanished_total", "vm", metrics) - vanishedBefore.1 == Double(found())
        }, "own workloads \(own(metrics).count), VMs \(metrics.lines("interferencewatch_vm_up").filter { $0.contains(vmPrefix) })")
        #expect(daemon.process.isRunning)
        let vanished = (counter("interferencewatch_collector_vanished_total", "cgroup", metrics) - vanishedBefore.0,
                        counter("interferencewatch_collector_vanished_total", "vm", metrics) - vanishedBefore.1)
        print("""
            churn: \(created) cgroups created and \(removed) removed in \(Int(seconds)) s \
            (\(Int(Double(created) / seconds))/s, at most \(mostOwn) of ours at once), \(vms.names.count) QMP peers \
            (\(found()) found, at most \(mostVMs) at once), \(scrapes) scrapes; vanished: cgroup \(Int(vanished.0)), \
            vm \(Int(vanished.1))
            """)
        #expect(cgroups.failures.isEmpty, "\(cgroups.failures.prefix(5))")
        #expect(Double(created) / seconds >= 100, "the churn managed only \(created) cgroups in \(seconds) s")
        #expect(found() >= 5, "the daemon found only \(found()) of \(vms.names.count) QMP peers")

        // Churn alone is not an error: nothing counted, nothing logged above info about it.
        #expect(counter("interferencewatch_collector_errors_total", "cgroup", metrics) == errorsBefore.0)
        #expect(counter("interferencewatch_collector_errors_total", "vm", metrics) == errorsBefore.1)
        #expect(metrics.value("interferencewatch_collector_success", ["collector": "cgroup"]) == 1)
        // Cgroups caught between the walk and the read: some, at hundreds a second against a 200 ms sweep.
        #expect(vanished.0 > 0)
        for message in ["collector failed", "malformed input, kept the rest of the file", "QMP poll failed",
                        "VM name already used by another QMP socket, socket ignored"] {
            let lines = daemon.log.split(separator: "\n").filter { $0.contains("msg=\"\(message)\"") }
            #expect(lines.isEmpty, "\(lines.prefix(3))")
        }
        #expect(daemon.stop() == 0)
    }
}
